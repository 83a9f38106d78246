/**
 * Shared helpers for the service benchmarks (`match.ts`, `live.ts`): arguments, statistics, markdown
 * tables, temporary folders, free ports, guarded child processes and a cleanup registry that runs on
 * normal exit, on SIGINT/SIGTERM and when the watchdog's time budget runs out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordOptions } from '../../server/trust/trust.service';

/** The repository root (scripts/bench/ is two levels down). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const DAY_MS = 86_400_000;

/**
 * The step that marks certification `c` verified, as a coordinator would after checking the evidence
 * (regulated goods are proposed only from verified certifications): valid from a day before `now` (ms) for a year.
 */
export function benchVerified(c: string, now: number): RecordOptions {
  return { decision: 'verified', certificateNumber: `BENCH-${c}`, issuer: 'bench', validFrom: new Date(now - DAY_MS).toISOString(), validUntil: new Date(now + 365 * DAY_MS).toISOString() };
}

/** `--name value` and `--name=value` pairs over defaults; unknown names are an error (exit 2). */
export function parseArgs<T extends Record<string, string>>(argv: string[], defaults: T, usage: string): T {
  const out: Record<string, string> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(m[1] in defaults)) {
      console.error(`Unknown argument ${a}\n${usage}`);
      process.exit(2);
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) {
      console.error(`--${m[1]} needs a value\n${usage}`);
      process.exit(2);
    }
    out[m[1]] = value;
  }
  return out as T;
}

/** A positive integer argument, or exit 2 with a message. */
export function positiveInt(name: string, value: string): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} must be a positive integer, got ${value}`);
    process.exit(2);
  }
  return n;
}

/** Nearest-rank percentile of an unsorted sample (NaN when empty). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Summary of a sample in ms. */
export function summary(values: number[]) {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? Math.max(...values) : NaN,
    mean: mean(values),
  };
}

/** A number for a table cell: `digits` decimals, thousands separators, `n/a` for NaN. */
export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const fmtInt = (n: number) => fmt(n, 0);

/** A percentage with one decimal. */
export const pct = (part: number, whole: number) => (whole > 0 ? `${fmt((100 * part) / whole, 1)} %` : 'n/a');

/** A GitHub-flavoured markdown table; numeric-looking columns are right-aligned. */
export function markdownTable(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const numeric = headers.map(
    (_, i) => cells.some((r) => (r[i] ?? '') !== '') && cells.every((r) => /^[-\d.,]+( ms| %| s)?$|^n\/a$|^$/.test(r[i] ?? '')),
  );
  const widths = headers.map((h, i) => Math.max(h.length, 3, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), sep, ...cells.map(line)].join('\n');
}

/** A fresh temporary folder, removed by `cleanup` (registered here). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(`remove ${dir}`, async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A free TCP port on the loopback interface (racy by nature, good enough for a benchmark). */
export function freePort(): Promise<number> {
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

/**
 * The environment the benchmarks run the service with: embedded FerretDB over `dataDir` (unless
 * MONGODB_URI is given), loopback only, no demo, quiet logs, cheap hashing, no rate limiting.
 */
export function benchEnv(dataDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    FUCHAN_DATA_DIR: dataDir,
    FUCHAN_CACHE_DIR: path.join(repoRoot, '.cache'),
    FUCHAN_DEMO: 'false',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    BCRYPT_ROUNDS: '4',
    RATE_LIMIT_WRITE_PER_MINUTE: '1000000',
    RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
    RATE_LIMIT_READ_PER_MINUTE: '10000000',
    RATE_LIMIT_REGISTER_PER_HOUR: '1000000',
    // the bench's organizations post many offers each, verified or not: the limits for the unverified are lifted
    UNVERIFIED_MAX_OPEN_OFFERS: '1000000',
  };
  // the embedded database's storage: the service's default unless FUCHAN_DB_BACKEND chooses
  if (process.env.FUCHAN_DB_BACKEND) env.FUCHAN_DB_BACKEND = process.env.FUCHAN_DB_BACKEND;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * MONGODB_URI with its database replaced by a throw-away one (`fuchan_bench_<pid>_<suffix>`), so a
 * benchmark never touches the data of the database it was pointed at; null when MONGODB_URI is unset.
 */
export function scratchMongoUri(suffix: string): string | null {
  const raw = process.env.MONGODB_URI;
  if (!raw) return null;
  const u = new URL(raw);
  u.pathname = `/fuchan_bench_${process.pid}_${suffix}`;
  return u.toString();
}

// ---------------------------------------------------------------------------------------------------
// Cleanup registry and watchdog

type Cleanup = { label: string; fn: () => Promise<void> };
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | null = null;

/** Registers a cleanup step; steps run in reverse order of registration. Returns an unregister function. */
export function onCleanup(label: string, fn: () => Promise<void>): () => void {
  const c = { label, fn };
  cleanups.push(c);
  return () => {
    const i = cleanups.indexOf(c);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

/** Runs (once) every registered cleanup step, newest first, each bounded to 20 s. */
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const c = cleanups.pop()!;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.fn(),
          new Promise<void>((_, reject) => {
            timer = setTimeout(() => reject(new Error('timed out after 20 s')), 20_000);
          }),
        ]);
      } catch (err) {
        console.error(`cleanup "${c.label}" failed: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
  })();
  return cleaning;
}

/**
 * Runs `main` with cleanup on every way out: normal end, error, SIGINT/SIGTERM, and a hard time limit
 * (the watchdog prints what it is doing, cleans up and exits with code 3).
 */
export function runBench(name: string, hardLimitSeconds: number, main: () => Promise<void>, opts: { onHardLimit?: () => void } = {}) {
  const started = Date.now();
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    console.error(`\n${name}: hard time limit of ${hardLimitSeconds} s reached; printing what was measured, cleaning up and exiting.`);
    try {
      opts.onHardLimit?.();
    } catch (err) {
      console.error(err);
    }
    void cleanup().finally(() => process.exit(3));
  }, hardLimitSeconds * 1000);
  watchdog.unref();
  let signals = 0;
  const onSignal = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(130);
    console.error(`\n${name}: ${sig}, cleaning up...`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  main().then(
    async () => {
      await cleanup();
      clearTimeout(watchdog);
      console.log(`\n_${name} finished in ${fmt((Date.now() - started) / 1000, 1)} s._`);
      // sockets, timers or drivers left by libraries must not keep a finished benchmark alive
      setTimeout(() => process.exit(0), 200).unref();
    },
    async (err) => {
      if (timedOut) return; // the watchdog is cleaning up; whatever broke under it does not matter
      console.error(`${name} failed:`, err instanceof Error ? err.stack : err);
      await cleanup();
      process.exit(1);
    },
  );
}

/** Seconds left of a budget that started at `startedMs`. */
export const secondsLeft = (startedMs: number, budgetSeconds: number) => budgetSeconds - (Date.now() - startedMs) / 1000;

// ---------------------------------------------------------------------------------------------------
// Child processes

export interface Child {
  name: string;
  proc: ChildProcess;
  /** The last lines it wrote to stderr (and stdout when captured), for error messages. */
  tail(): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** Asks it to stop (its stdin closes: the guard sends SIGTERM), then SIGKILLs its process group after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `cmd args` under a small shell guard, in its own process group: when our end of its stdin pipe
 * closes (a normal stop, or this process dying in any way) the guard sends the command SIGTERM, so a
 * child never outlives the benchmark. The stop is registered as a cleanup step.
 */
export function spawnGuarded(name: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const guard =
    'exec 3<&0; "$0" "$@" </dev/null & c=$!; { read _ <&3; kill $c 2>/dev/null; } & r=$!; ' +
    'trap "kill $c 2>/dev/null" TERM INT; wait $c; s=$?; kill $r 2>/dev/null; exit $s';
  const proc = spawn('sh', ['-c', guard, cmd, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-6000);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  proc.stdin?.on('error', () => undefined);
  let exitedFlag = false;
  const exitedP = new Promise<void>((r) => proc.once('exit', () => ((exitedFlag = true), r())));
  let stopping: Promise<void> | null = null;
  const stop = (graceMs = 15_000) =>
    (stopping ??= (async () => {
      if (exitedFlag) return;
      proc.stdin?.end();
      const timer = setTimeout(() => {
        try {
          if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, graceMs);
      await exitedP;
      clearTimeout(timer);
      // the guard has exited; make sure nothing of its group is left behind
      try {
        if (proc.pid) process.kill(-proc.pid, 'SIGKILL');
      } catch {
        /* nothing left */
      }
    })());
  const unregister = onCleanup(`stop ${name}`, () => stop());
  return {
    name,
    proc,
    tail: () => out.trim().split('\n').slice(-20).join('\n'),
    exited: () => exitedFlag,
    stop: async (graceMs?: number) => {
      await stop(graceMs);
      unregister();
    },
  };
}

/** Waits until `url` answers GET /api/health with 200, or throws after `timeoutMs` (or when `child` exits). */
export async function waitHealthy(url: string, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child?.exited()) throw new Error(`${child.name} exited during start-up:\n${child.tail()}`);
    try {
      const r = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  throw new Error(`${url} did not become healthy within ${timeoutMs} ms${child ? `:\n${child.tail()}` : ''}`);
}

/** Waits until a TCP port accepts connections. */
export async function waitPort(port: number, timeoutMs: number, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child?.exited()) throw new Error(`${child.name} exited during start-up:\n${child.tail()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}

/** The embedded database's storage as a phrase for the report ("FerretDB on PostgreSQL"). */
export const backendName = (backend: string) => `FerretDB on ${backend === 'sqlite' ? 'SQLite' : backend === 'postgresql' ? 'PostgreSQL' : backend}`;

/** A short description of this machine for the report header. */
export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

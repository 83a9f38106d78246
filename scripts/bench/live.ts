/**
 * Benchmark: live events to 1,000 connected sockets while demands are posted at a steady rate.
 *
 *   npx tsx scripts/bench/live.ts [--sockets 1000] [--coordinator-sockets 200] [--orgs 50] [--rate 20]
 *                                 [--seconds 20] [--modes inprocess,redis,process] [--seed 2020] [--budget 280]
 *
 * Per mode, on a fresh embedded FerretDB in a new temporary folder (or a throw-away database of
 * MONGODB_URI when set):
 *   - supplier and buyer organizations (half each) register through POST /api/auth/register, the
 *     suppliers post offers generated like the demo scenario (so demands get matched), a few coordinator
 *     accounts are made with `auth.createUser` and sign in through POST /api/auth/login;
 *   - `--sockets` socket.io-client connections (websocket transport) are opened: `--coordinator-sockets`
 *     of them as coordinators (spread over the coordinator accounts), the rest as organization members
 *     spread evenly over the organizations (members of one organization share its account's token);
 *   - buyers post demands open-loop at `--rate` per second for `--seconds` (one POST every 1/rate s,
 *     whether or not earlier ones have answered);
 *   - every socket records each event's `seq` and arrival time. The expected deliveries come from the
 *     Event log itself: each `demand:updated` and `match:proposed` event of a posted demand should reach
 *     every coordinator socket and every socket of an organization it names. Latency is measured from the
 *     arrival of the POST's response at the client to the event's arrival at a socket (the service emits
 *     events as soon as they are stored, before it answers, so a delivery can come first: negative).
 * Modes (rows of the table):
 *   inprocess  one service started in this process with `start()`; the sockets live in the same process
 *   redis      two service processes (`node --import tsx server/index.ts`) on one database and a
 *              redis-server started here; sockets split evenly over both instances; every POST goes to
 *              instance B, so A's sockets receive through Redis
 *   process    one service process without Redis: the fair baseline for `redis` (same client/server split)
 * Everything started is stopped at the end (sockets, service processes, redis-server, the database) and
 * temporary folders are removed. Prints one markdown table; asserts nothing about timings.
 */
import fs from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import crypto from 'node:crypto';
import path from 'node:path';
import mongoose from 'mongoose';
import { io, type Socket } from 'socket.io-client';
import { loadConfig } from '../../server/config';
import { connectDatabase, disconnectDatabase } from '../../server/db/database';
import { startEmbeddedDb } from '../../server/db/ferretdb';
import { EventModel, eventKey } from '../../models/event.model';
import { toLoggedEvent } from '../../server/events/event-log';
import type { LedgerEvent } from '../../server/ledger/state';
import { createLogger } from '../../server/logger';
import { createServices, start, type Services } from '../../server/index';
import { buildScenario, type Scenario } from '../../server/demo/scenario';
import {
  backendName,
  benchEnv,
  benchVerified,
  fmt,
  fmtInt,
  freePort,
  machineLine,
  markdownTable,
  onCleanup,
  parseArgs,
  percentile,
  pct,
  positiveInt,
  repoRoot,
  runBench,
  scratchMongoUri,
  secondsLeft,
  sleep,
  spawnGuarded,
  tempDir,
  waitHealthy,
  waitPort,
} from './common';

const USAGE = `Usage: npx tsx scripts/bench/live.ts [--sockets 1000] [--coordinator-sockets 200] [--orgs 50] [--rate 20] [--seconds 20] [--modes inprocess,redis,process] [--seed 2020] [--budget 280]
  --sockets              connected sockets per mode
  --coordinator-sockets  how many of them are coordinators (the rest are organization members)
  --orgs                 organizations registered (half suppliers, half buyers)
  --rate, --seconds      demands posted per second, and for how long
  --modes                inprocess (start() here), redis (two processes + Redis), process (one process)
  --budget               seconds the run may take; a mode that no longer fits is reported as not run`;

const args = parseArgs(
  process.argv.slice(2),
  { sockets: '1000', 'coordinator-sockets': '200', orgs: '50', rate: '20', seconds: '20', modes: 'inprocess,redis,process', seed: '2020', budget: '280' },
  USAGE,
);
const socketCount = positiveInt('sockets', args.sockets);
const TARGET_P99_MS = 50;
const coordSockets = Math.min(socketCount, positiveInt('coordinator-sockets', args['coordinator-sockets']));
const orgCount = Math.max(2, positiveInt('orgs', args.orgs));
const rate = positiveInt('rate', args.rate);
const seconds = positiveInt('seconds', args.seconds);
const seed = positiveInt('seed', args.seed);
const budgetSeconds = positiveInt('budget', args.budget);
type Mode = 'inprocess' | 'redis' | 'process';
const modes = args.modes.split(',').map((m) => m.trim()) as Mode[];
for (const m of modes) {
  if (!['inprocess', 'redis', 'process'].includes(m)) {
    console.error(`Unknown mode ${m}\n${USAGE}`);
    process.exit(2);
  }
}
const COORDINATOR_ACCOUNTS = 5;
const POST_TIMEOUT_MS = 60_000;
const PASSWORD = 'bench password 123';
const demandsToPost = rate * seconds;
const progress = (m: string) => console.error(`[live] ${m}`);

// file descriptors: our sockets, and the server's too when it runs in this process
function fdLimit(): number {
  try {
    const m = /Max open files\s+(\d+|unlimited)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
  } catch {
    return Infinity;
  }
}
const fdsNeeded = socketCount * (modes.includes('inprocess') ? 2 : 1) + 300;
if (fdLimit() < fdsNeeded) {
  console.error(`This needs about ${fdsNeeded} open files but the limit is ${fdLimit()}; raise it (ulimit -n ${fdsNeeded}) or lower --sockets.`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------

interface Target {
  /** Where sockets of index i connect. */
  socketUrl(i: number): string;
  /** Which instance socket i is on (0 = A). */
  instanceOf(i: number): number;
  /** Where every HTTP call goes (instance B in the Redis mode). */
  postUrl: string;
  services: Services;
  stop(): Promise<void>;
}

async function json(url: string, init: { method?: string; token?: string; body?: unknown; timeoutMs?: number } = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  return { status: res.status, body };
}

/** Runs `fn` over `items` with at most `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

/** Starts what a mode needs and returns where to connect and post. */
async function startTarget(mode: Mode, label: string): Promise<Target> {
  const dataDir = tempDir(`fuchan-bench-live-${mode}-`);
  const scratch = scratchMongoUri(`live_${mode}`);
  if (mode === 'inprocess') {
    const running = await start(loadConfig(benchEnv(dataDir, { MONGODB_URI: scratch ?? undefined })), createLogger('warn'));
    const unregister = onCleanup(`stop the ${label} service`, () => running.stop());
    return {
      socketUrl: () => running.url,
      instanceOf: () => 0,
      postUrl: running.url,
      services: running.services,
      stop: async () => {
        if (scratch) await mongoose.connection.db?.dropDatabase().catch(() => undefined);
        await running.stop();
        unregister();
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }

  // a database for the service processes: MONGODB_URI's scratch database, or an embedded FerretDB started here
  let uri = scratch;
  let stopDb = async () => {};
  if (!uri) {
    const db = await startEmbeddedDb({ dataDir, cacheDir: path.join(repoRoot, '.cache'), backend: loadConfig(benchEnv(dataDir)).dbBackend });
    uri = db.uri;
    const unregisterDb = onCleanup(`stop the ${label} database`, () => db.stop());
    stopDb = async () => {
      await db.stop();
      unregisterDb();
    };
  }
  await connectDatabase(uri, { timeoutMs: 10_000 }); // collections and indexes, accounts, the Event log read-back
  const unregisterDisconnect = onCleanup(`disconnect from the ${label} database`, () => disconnectDatabase().catch(() => undefined));
  const config = loadConfig(benchEnv(dataDir, { MONGODB_URI: uri }));
  const services = createServices(config);

  let redis: ReturnType<typeof spawnGuarded> | null = null;
  let redisUrl: string | undefined;
  if (mode === 'redis') {
    const port = await freePort();
    redis = spawnGuarded('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    await waitPort(port, 10_000, redis);
    redisUrl = `redis://127.0.0.1:${port}`;
  }
  const jwtSecret = crypto.randomBytes(32).toString('base64url');
  const count = mode === 'redis' ? 2 : 1;
  const urls: string[] = [];
  const children: ReturnType<typeof spawnGuarded>[] = [];
  for (let k = 0; k < count; k++) {
    const port = await freePort();
    const env = { ...process.env, ...benchEnv(dataDir, { MONGODB_URI: uri, PORT: String(port), REDIS_URL: redisUrl, JWT_SECRET: jwtSecret }) };
    children.push(spawnGuarded(`service ${String.fromCharCode(65 + k)}`, process.execPath, ['--import', 'tsx', 'server/index.ts'], { env }));
    urls.push(`http://127.0.0.1:${port}`);
  }
  await Promise.all(urls.map((u, k) => waitHealthy(u, 90_000, children[k])));
  return {
    socketUrl: (i) => urls[i % urls.length],
    instanceOf: (i) => i % urls.length,
    postUrl: urls[urls.length - 1],
    services,
    stop: async () => {
      for (const c of children) await c.stop();
      await redis?.stop();
      if (scratch) await mongoose.connection.db?.dropDatabase().catch(() => undefined);
      await disconnectDatabase().catch(() => undefined);
      unregisterDisconnect();
      await stopDb();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface ModeResult {
  mode: Mode;
  label: string;
  sockets: number;
  connected: number;
  posted: number;
  postOk: number;
  postMs: number[];
  events: number;
  expected: number;
  delivered: number;
  duplicates: number;
  /** What arrived twice: event type and socket kind. */
  duplicateKinds: string;
  misdelivered: number;
  coordExpected: number;
  coordDelivered: number;
  perSecond: number;
  postsPerSecond: number;
  timedOut: number;
  coverageLogged: number;
  coveragePerCoordinator: number;
  /** From the event's `at` (set when it is stored) to its arrival, per instance the socket is on. */
  fromEvent: number[][];
  instances: number;
  latencies: number[];
  fromSend: number[];
  beforeResponse: number;
  disconnects: number;
  loopDelayP99: number;
  proposalsPerDemand: number;
  setupSeconds: number;
}

/** The last sequence number in the Event log (0 when empty), read from the collection. */
async function logEnd(): Promise<number> {
  const [doc] = (await EventModel.collection.find({}).sort({ _id: -1 }).limit(1).toArray()) as unknown as LedgerEvent[];
  return doc?.seq ?? 0;
}

/** Up to `limit` logged events after `afterSeq`, in order (by `_id`, the zero-padded sequence number). */
async function logSince(afterSeq: number, limit: number): Promise<LedgerEvent[]> {
  return (await EventModel.collection
    .find({ _id: { $gt: eventKey(afterSeq) } } as never)
    .sort({ _id: 1 })
    .limit(limit)
    .toArray()) as unknown as LedgerEvent[];
}

async function runMode(mode: Mode, scenario: Scenario): Promise<ModeResult> {
  const label = mode === 'inprocess' ? 'single instance (in-process)' : mode === 'process' ? 'single instance (own process)' : 'two instances + Redis';
  const t0 = performance.now();
  progress(`${label}: starting`);
  const target = await startTarget(mode, label);
  const sockets: Socket[] = [];
  const closeSockets = () => {
    for (const s of sockets) {
      s.removeAllListeners();
      s.disconnect();
    }
    sockets.length = 0;
  };
  const unregisterSockets = onCleanup(`close the ${label} sockets`, async () => closeSockets());
  try {
    // organizations, through the API (on instance B when there are two)
    const orgs = scenario.organizations;
    const registered = await pool(orgs, 8, async (o, i) => {
      const r = await json(`${target.postUrl}/api/auth/register`, {
        method: 'POST',
        body: {
          email: `bench.${mode}.${i}.${process.pid}@example.test`,
          password: PASSWORD,
          name: `Bench ${o.role} ${i}`,
          role: o.role,
          organization: { name: o.name, region: o.region, location: o.location, certifications: o.certifications },
        },
      });
      if (r.status !== 201) throw new Error(`register ${o.key}: ${r.status} ${JSON.stringify(r.body)}`);
      return { key: o.key, role: o.role, token: r.body.token as string, orgId: r.body.user.organization.id as string };
    });
    const byKey = new Map(registered.map((r) => [r.key, r]));
    // suppliers' certificates verified, as a coordinator would after checking the evidence (regulated goods are
    // proposed only from verified certifications); in the modes with service processes they stay claims
    if (target.services) {
      const now = target.services.ledger.now();
      for (const o of orgs) {
        if (o.role !== 'supplier') continue;
        for (const c of o.certifications) {
          await target.services.trust.record(byKey.get(o.key)!.orgId, c, benchVerified(c, now));
        }
      }
    }
    let offersOk = 0;
    await pool(scenario.offers, 8, async (o) => {
      const { orgKey, ...body } = o;
      const r = await json(`${target.postUrl}/api/offers`, { method: 'POST', token: byKey.get(orgKey)!.token, body });
      if (r.status !== 201) throw new Error(`offer: ${r.status} ${JSON.stringify(r.body)}`);
      offersOk++;
    });
    // coordinators: created directly (never self-registered), signed in through the API
    const coordTokens: string[] = [];
    for (let k = 0; k < COORDINATOR_ACCOUNTS; k++) {
      const email = `bench.coordinator.${mode}.${k}.${process.pid}@example.test`;
      await target.services.auth.createUser({ email, password: PASSWORD, name: `Bench coordinator ${k}`, role: 'coordinator' });
      const r = await json(`${target.postUrl}/api/auth/login`, { method: 'POST', body: { email, password: PASSWORD } });
      if (r.status !== 200) throw new Error(`coordinator login: ${r.status} ${JSON.stringify(r.body)}`);
      coordTokens.push(r.body.token as string);
    }
    progress(`${label}: ${registered.length} organizations, ${offersOk} offers, ${COORDINATOR_ACCOUNTS} coordinators; connecting ${socketCount} sockets`);

    // sockets: coordinators first, then organization members round-robin over the organizations
    const roles: ('coordinator' | string)[] = []; // 'coordinator' or an organization id
    const tokens: string[] = [];
    for (let i = 0; i < socketCount; i++) {
      if (i < coordSockets) {
        roles.push('coordinator');
        tokens.push(coordTokens[i % coordTokens.length]);
      } else {
        const r = registered[(i - coordSockets) % registered.length];
        roles.push(r.orgId);
        tokens.push(r.token);
      }
    }
    const arrivals: { sock: number; seq: number; t: number; wall: number; at: string }[] = [];
    let disconnects = 0;
    let coverageArrivals = 0;
    let lastArrival = 0;
    let connected = 0;
    const sockIndex = Array.from({ length: socketCount }, (_, i) => i);
    await pool(sockIndex, 50, async (i) => {
      const s = io(target.socketUrl(i), { auth: { token: tokens[i] }, transports: ['websocket'], forceNew: true, reconnection: false, timeout: 20_000 });
      sockets.push(s);
      s.onAny((type: string, payload: { seq?: number; at?: string }) => {
        const t = performance.now();
        if (type === 'coverage:updated') coverageArrivals++;
        lastArrival = t;
        // coverage:updated carries the log position it reflects, not an event of its own: not a delivery
        if (type !== 'coverage:updated' && typeof payload?.seq === 'number') arrivals.push({ sock: i, seq: payload.seq, t, wall: Date.now(), at: (payload as { at?: string }).at ?? '' });
      });
      const ok = await new Promise<boolean>((resolve) => {
        s.once('connect', () => resolve(true));
        s.once('connect_error', (err) => {
          progress(`socket ${i}: ${err.message}`);
          resolve(false);
        });
      });
      if (ok) {
        connected++;
        s.on('disconnect', () => disconnects++);
      }
    });
    progress(`${label}: ${connected}/${socketCount} sockets connected`);
    await sleep(1000); // let room joins settle

    // the Event log read directly (the service may be another process): where it ends before the run
    const lastSeq = await logEnd();
    const setupSeconds = (performance.now() - t0) / 1000;
    arrivals.length = 0;
    coverageArrivals = 0;

    // post demands open-loop at a steady rate, buyers round-robin over the scenario's demands
    const posts: { id: string | null; sent: number; answered: number; status: number }[] = [];
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const startAt = performance.now() + 50;
    const inflight: Promise<void>[] = [];
    let timedOut = 0;
    for (let k = 0; k < demandsToPost; k++) {
      const at = startAt + (k * 1000) / rate;
      const wait = at - performance.now();
      if (wait > 0) await sleep(wait);
      const d = scenario.demands[k % scenario.demands.length];
      const { orgKey, ...body } = d;
      const rec = { id: null as string | null, sent: performance.now(), answered: NaN, status: 0 };
      posts.push(rec);
      inflight.push(
        json(`${target.postUrl}/api/demands`, { method: 'POST', token: byKey.get(orgKey)!.token, body: { ...body, deadline: d.deadline }, timeoutMs: POST_TIMEOUT_MS })
          .then((r) => {
            rec.answered = performance.now();
            rec.status = r.status;
            if (r.status === 201) rec.id = r.body.id as string;
          })
          .catch((err) => {
            rec.answered = performance.now();
            rec.status = -1;
            if ((err as Error).name === 'TimeoutError') timedOut++;
            else progress(`POST /api/demands failed: ${(err as Error).message}`);
          }),
      );
    }
    await Promise.all(inflight);
    // drain: until nothing has arrived for 2 s (at most 15 s)
    const drainUntil = performance.now() + 15_000;
    while (performance.now() < drainUntil && performance.now() - Math.max(lastArrival, posts[posts.length - 1].answered) < 2000) await sleep(100);
    loop.disable();
    const loopDelayP99 = loop.percentile(99) / 1e6;

    // what should have arrived: the Event log since the run began
    const events: { seq: number; type: string; orgIds: string[]; payload: { demand?: { id: string }; match?: { demandId: string } } }[] = [];
    for (let after = lastSeq; ; ) {
      const page = await logSince(after, 2000);
      for (const doc of page) {
        const { type, payload } = toLoggedEvent(doc);
        const p = payload as { seq: number; demand?: { id: string }; match?: { demandId: string } };
        events.push({ seq: p.seq, type, orgIds: [...doc.orgIds], payload: p });
        after = p.seq;
      }
      if (page.length < 2000) break;
    }
    const postByDemand = new Map(posts.filter((p) => p.id).map((p) => [p.id!, p]));
    const tracked = new Map<number, { orgIds: Set<string>; post: (typeof posts)[number]; type: string; orgList: string[] }>();
    let proposals = 0;
    const coverageLogged = events.filter((e) => e.type === 'coverage:updated').length;
    for (const e of events) {
      if (e.type !== 'demand:updated' && e.type !== 'match:proposed') continue;
      const demandId = e.type === 'demand:updated' ? e.payload.demand?.id : e.payload.match?.demandId;
      const post = demandId ? postByDemand.get(demandId) : undefined;
      if (!post) continue;
      if (e.type === 'match:proposed') proposals++;
      tracked.set(e.seq, { orgIds: new Set(e.orgIds), post, type: e.type, orgList: e.orgIds });
    }
    const isCoord = (i: number) => roles[i] === 'coordinator';
    const socketsOfOrg = new Map<string, number>();
    for (let i = 0; i < socketCount; i++) if (!isCoord(i)) socketsOfOrg.set(roles[i], (socketsOfOrg.get(roles[i]) ?? 0) + 1);
    let expected = 0;
    let coordExpected = 0;
    for (const ev of tracked.values()) {
      coordExpected += coordSockets;
      expected += coordSockets;
      for (const o of ev.orgIds) expected += socketsOfOrg.get(o) ?? 0;
    }
    const seen = new Set<string>();
    let delivered = 0;
    let coordDelivered = 0;
    let duplicates = 0;
    const duplicateKinds = new Map<string, number>();
    let misdelivered = 0;
    let beforeResponse = 0;
    let first = Infinity;
    let last = 0;
    const latencies: number[] = [];
    const fromSend: number[] = [];
    const instances = mode === 'redis' ? 2 : 1;
    const fromEvent: number[][] = Array.from({ length: instances }, () => []);
    for (const a of arrivals) {
      const ev = tracked.get(a.seq);
      if (!ev) continue;
      const k = `${a.sock}:${a.seq}`;
      if (seen.has(k)) {
        duplicates++;
        const kind = `${ev.type} to ${isCoord(a.sock) ? 'a coordinator' : 'an organization member'}${ev.orgList.length !== ev.orgIds.size ? ' (an organization named twice)' : ''}`;
        duplicateKinds.set(kind, (duplicateKinds.get(kind) ?? 0) + 1);
        continue;
      }
      seen.add(k);
      if (!isCoord(a.sock) && !ev.orgIds.has(roles[a.sock])) {
        misdelivered++;
        continue;
      }
      delivered++;
      if (isCoord(a.sock)) coordDelivered++;
      const lat = a.t - ev.post.answered;
      latencies.push(lat);
      fromSend.push(a.t - ev.post.sent);
      if (a.at) fromEvent[target.instanceOf(a.sock)].push(a.wall - Date.parse(a.at));
      if (lat < 0) beforeResponse++;
      first = Math.min(first, a.t);
      last = Math.max(last, a.t);
    }
    const window = (Math.max(last, posts[posts.length - 1].answered) - posts[0].sent) / 1000;
    const ok = posts.filter((p) => p.status === 201);
    return {
      mode,
      label,
      sockets: socketCount,
      connected,
      posted: posts.length,
      postOk: ok.length,
      postMs: ok.map((p) => p.answered - p.sent),
      events: tracked.size,
      expected,
      delivered,
      duplicates,
      duplicateKinds: [...duplicateKinds].map(([k, n]) => `${n} × ${k}`).join(', '),
      misdelivered,
      coordExpected,
      coordDelivered,
      perSecond: window > 0 ? delivered / window : NaN,
      postsPerSecond: ok.length / ((Math.max(...ok.map((p) => p.answered)) - posts[0].sent) / 1000),
      timedOut,
      coverageLogged,
      coveragePerCoordinator: coordSockets ? coverageArrivals / coordSockets : NaN,
      fromEvent,
      instances,
      latencies,
      fromSend,
      beforeResponse,
      disconnects,
      loopDelayP99,
      proposalsPerDemand: ok.length ? proposals / ok.length : NaN,
      setupSeconds,
    };
  } finally {
    closeSockets();
    unregisterSockets();
    await sleep(200);
    const ts = performance.now();
    await target.stop();
    progress(`${label}: stopped and cleaned up in ${fmt(performance.now() - ts, 0)} ms`);
  }
}

const results: ModeResult[] = [];
const notRun: string[] = [];
let reported = false;

runBench(
  'bench:live',
  budgetSeconds + 60,
  async () => {
    const started = Date.now();
    const suppliers = Math.ceil(orgCount / 2);
    const buyers = orgCount - suppliers;
    // the same workload in every mode: organizations, offers (six lines per supplier) and demands
    const scenario = buildScenario({ seed, now: new Date(), suppliers, buyers, offers: suppliers * 6, demands: demandsToPost });
    let lastModeSeconds = 0;
    for (const mode of modes) {
      const left = secondsLeft(started, budgetSeconds);
      const need = lastModeSeconds ? lastModeSeconds * 1.2 : seconds + 40;
      if (left < need) {
        notRun.push(`${mode}: not run, ${fmt(left, 0)} s of the ${budgetSeconds} s budget left and a mode takes about ${fmt(need, 0)} s`);
        progress(notRun[notRun.length - 1]);
        continue;
      }
      const tm = Date.now();
      const r = await runMode(mode, scenario);
      lastModeSeconds = (Date.now() - tm) / 1000;
      results.push(r);
      progress(
        `${r.label}: ${r.delivered}/${r.expected} deliveries, p50 ${fmt(percentile(r.latencies, 50))} ms, p99 ${fmt(percentile(r.latencies, 99))} ms (${fmt(lastModeSeconds, 0)} s)`,
      );
    }
    report();
  },
  { onHardLimit: () => report() },
);

function report() {
  if (reported) return;
  reported = true;
  console.log('## Live events: demands posted at a steady rate to connected sockets\n');
  console.log(`Machine: ${machineLine()}.`);
  console.log(
    `Workload: ${fmtInt(socketCount)} sockets per mode (${coordSockets} coordinators over ${COORDINATOR_ACCOUNTS} accounts, ${socketCount - coordSockets} members of ${orgCount} organizations), ` +
      `${rate} demands/s for ${seconds} s (open loop), seed ${seed}. Database: ${process.env.MONGODB_URI ? 'MONGODB_URI (scratch databases)' : `embedded ${backendName(loadConfig(benchEnv('.')).dbBackend)}, fresh per mode`}.\n`,
  );
  console.log(
    markdownTable(
      ['setup', 'sockets', 'demands posted', 'deliveries', 'delivered share', 'deliveries/s', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)'],
      results.map((r) => [
        r.label,
        r.connected === r.sockets ? fmtInt(r.sockets) : `${fmtInt(r.connected)} of ${fmtInt(r.sockets)}`,
        r.postOk === r.posted ? fmtInt(r.posted) : `${fmtInt(r.posted)} (${fmtInt(r.postOk)} answered 201)`,
        fmtInt(r.delivered),
        pct(r.delivered, r.expected),
        fmt(r.perSecond, 0),
        fmt(percentile(r.latencies, 50)),
        fmt(percentile(r.latencies, 95)),
        fmt(percentile(r.latencies, 99)),
      ]),
    ),
  );
  console.log('\nThe service under that load:\n');
  console.log(
    markdownTable(
      ['setup', 'POSTs answered/s', 'POST p50 (ms)', 'POST p99 (ms)', `POSTs timed out (${POST_TIMEOUT_MS / 1000} s)`, 'events (demand + match)', 'proposals per demand', 'expected deliveries', 'coordinator share', 'duplicates / misdelivered / disconnects', 'coverage:updated logged / received per coordinator', 'client loop delay p99 (ms)'],
      results.map((r) => [
        r.label,
        `${fmt(r.postsPerSecond, 1)} of ${rate}`,
        fmt(percentile(r.postMs, 50)),
        fmt(percentile(r.postMs, 99)),
        fmtInt(r.timedOut),
        fmtInt(r.events),
        fmt(r.proposalsPerDemand, 2),
        fmtInt(r.expected),
        pct(r.coordDelivered, r.coordExpected),
        `${r.duplicates} / ${r.misdelivered} / ${r.disconnects}`,
        `${fmtInt(r.coverageLogged)} / ${fmt(r.coveragePerCoordinator, 1)}`,
        fmt(r.loopDelayP99, 1),
      ]),
    ),
  );
  console.log('\nThe same deliveries, timed from other starting points:\n');
  const rows: string[][] = [];
  for (const r of results) {
    const all = r.fromEvent.flat();
    rows.push([
      r.label,
      pct(r.beforeResponse, r.delivered),
      fmt(percentile(r.fromSend, 50)),
      fmt(percentile(r.fromSend, 99)),
      fmt(percentile(all, 50), 0),
      fmt(percentile(all, 95), 0),
      fmt(percentile(all, 99), 0),
    ]);
    if (r.instances > 1) {
      r.fromEvent.forEach((xs, k) => {
        rows.push([
          `  sockets on instance ${String.fromCharCode(65 + k)}${k === 0 ? ' (through Redis)' : ' (local)'}`,
          '',
          '',
          '',
          fmt(percentile(xs, 50), 0),
          fmt(percentile(xs, 95), 0),
          fmt(percentile(xs, 99), 0),
        ]);
      });
    }
  }
  console.log(
    markdownTable(['setup', 'arrived before the response', 'from POST sent p50 (ms)', 'from POST sent p99 (ms)', 'from event time p50 (ms)', 'p95 (ms)', 'p99 (ms)'], rows),
  );
  console.log(
    [
      '',
      'Notes:',
      '- Latency (first table): from the arrival of the POST /api/demands response at the client to the arrival of the event at a socket, over every delivery of the demand:updated and match:proposed events of the posted demands; negative when the event came first (the service emits each event as soon as it is stored, before it answers).',
      '- "From event time": from the event\'s `at` (stamped just before it is written to the Event log) to its arrival, on the same clock: the fan-out path alone, whatever the request queueing. In the Redis row, instance A\'s sockets get every event through Redis, B\'s locally.',
      '- POSTs are sent open-loop: when the service answers fewer than the offered rate, requests queue and every latency measured from the POST includes that queue.',
      '- Expected deliveries come from the Event log: each event goes to every coordinator socket and to every socket of the organizations it names; "misdelivered" counts events a socket should not have seen.',
      '- Deliveries/s: deliveries over the time from the first POST to the last arrival.',
      '- All processes (service instances, FerretDB, Redis and the client sockets) share this machine; "client loop delay" shows how busy the process holding the sockets was (in-process: the service too).',
      `- Set-up time per mode (registrations, offers, connections): ${results.map((r) => `${r.label} ${fmt(r.setupSeconds, 1)} s`).join(', ') || 'n/a'}.`,
      ...results.filter((r) => r.duplicates).map((r) => `- ${r.label}: duplicate deliveries (the same event twice on one socket): ${r.duplicateKinds}.`),
      ...notRun.map((n) => `- ${n}.`),
      ...modes.filter((m) => !results.some((r) => r.mode === m) && !notRun.some((n) => n.startsWith(`${m}:`))).map((m) => `- ${m}: not measured (the run's hard time limit came first).`),
    ].join('\n'),
  );
  console.log(
    `\nSummary: bench:live with ${fmtInt(socketCount)} sockets: ` +
      (results
        .map(
          (r) =>
            `${r.label}: POST sent → event at the client p99 ${fmt(percentile(r.fromSend, 99))} ms (from the response ${fmt(percentile(r.latencies, 99))} ms, from event time ${fmt(percentile(r.fromEvent.flat(), 99))} ms), ` +
            `${fmtInt(r.perSecond)} deliveries/s, ${pct(r.delivered, r.expected)} delivered`,
        )
        .join('; ') || 'nothing measured') +
      ` (target p99 ≤ ${TARGET_P99_MS} ms)`,
  );
}

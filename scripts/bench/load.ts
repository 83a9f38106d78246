/**
 * Load benchmark: drives posting demands and accepting their proposals at rising concurrency with
 * autocannon, then checks what was acknowledged against the database (every 201 stored, no offer
 * over-reserved, no error other than the documented 409/429; checked after the projector has written
 * everything committed, against both the ledger's in-memory state and the projected collections), side
 * by side with a bare Express + Mongoose insert endpoint on the same database in the same run, so the
 * table shows Fuchan's overhead as a ratio.
 *
 *   npx tsx scripts/bench/load.ts [--seconds 90] [--concurrency 16,64]
 *
 * Per concurrency level, three phases: POST /api/demands alone (every connection posts demands), the
 * mix (post a demand, read its matches, both parties accept a proposal: confirmations race for the same
 * offers) and the bare insert endpoint. `--seconds` is the total driving time, split evenly over all
 * phases. The service runs in this process on an embedded FerretDB in a fresh temporary folder (or on a
 * throw-away database of MONGODB_URI when set), and so does autocannon: both endpoints share that
 * handicap. The targets (POST ≥ 70 % of the bare req/s, the mix ≥ 50 %, POST p99 ≤ 3x the bare p99) are
 * printed, never asserted. Exit code 1 when an acknowledged write is missing, an offer is over-reserved,
 * a status other than 2xx/409/429 (or a transport error) was seen, or the projector sent an update
 * command of more than MAX_UPDATE_STATEMENTS statements (correctness checks, not timing assertions); 2 on
 * bad arguments; 3 when the hard time limit is reached.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import mongoose from 'mongoose';
import { DemandModel } from '../../models/demand.model';
import { EventModel } from '../../models/event.model';
import { reservingStatuses } from '../../models/match.schema';
import { MatchModel } from '../../models/match.model';
import { OfferModel } from '../../models/offer.model';
import { loadConfig } from '../../server/config';
import { start, type Running } from '../../server/index';
import { MAX_UPDATE_STATEMENTS } from '../../server/ledger/projector';
import { backendName, benchVerified } from './common';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = 'usage: npx tsx scripts/bench/load.ts [--seconds 90] [--concurrency 16,64]';
const DAY_MS = 86_400_000;
const SUPPLIERS = 4;
const BUYERS = 8;
const PASSWORD = 'load benchmark password';

// autocannon ships no types; this is the part of its API used here.
interface AcRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AcRequestSpec extends AcRequest {
  setupRequest?: (req: AcRequest, context: Ctx) => AcRequest | null;
  onResponse?: (status: number, body: string, context: Ctx) => void;
}
interface AcResult {
  duration: number;
  errors: number;
  timeouts: number;
  totalCompletedRequests: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AcResult> & { stop(): void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

/** Per-connection state autocannon hands to setupRequest/onResponse. */
interface Ctx {
  sentAt?: number;
  demandId?: string;
  buyer?: string;
  task?: AcceptTask;
}

interface AcceptTask {
  matchId: string;
  token: string;
}

/** Statuses and latencies (ms) of one endpoint during one phase. */
class EndpointStats {
  readonly statuses = new Map<number, number>();
  readonly latencies: number[] = [];
  record(status: number, ctx: Ctx) {
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (ctx.sentAt !== undefined) this.latencies.push(performance.now() - ctx.sentAt);
    ctx.sentAt = undefined;
  }
  count(pred: (status: number) => boolean) {
    let n = 0;
    for (const [s, c] of this.statuses) if (pred(s)) n += c;
    return n;
  }
  get requests() {
    return this.count(() => true);
  }
  static merge(all: EndpointStats[]) {
    const m = new EndpointStats();
    for (const s of all) {
      for (const [k, v] of s.statuses) m.statuses.set(k, (m.statuses.get(k) ?? 0) + v);
      m.latencies.push(...s.latencies);
    }
    return m;
  }
}

const expected = (s: number) => (s >= 200 && s < 300) || s === 409 || s === 429;

function percentile(values: number[], p: number) {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const pct = (part: number, whole: number) => (whole > 0 ? `${fmt((100 * part) / whole)} %` : 'n/a');

const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

interface Row {
  endpoint: string;
  concurrency: number;
  stats: EndpointStats;
  seconds: number;
  /** Transport errors and timeouts autocannon counted (no status). */
  errors?: number;
  acknowledged?: number;
  stored?: number;
  overReserved?: number;
}

function tableOf(rows: Row[]) {
  const headers = ['endpoint', 'concurrency', 'requests', 'req/s', 'p50 (ms)', 'p99 (ms)', '2xx', '409', '429', 'other', 'acknowledged', 'stored', 'over-reserved offers'];
  const dash = '–';
  const cells = rows.map((r) => [
    r.endpoint,
    String(r.concurrency),
    fmt(r.stats.requests, 0),
    fmt(r.stats.requests / r.seconds),
    fmt(percentile(r.stats.latencies, 50)),
    fmt(percentile(r.stats.latencies, 99)),
    fmt(r.stats.count((s) => s >= 200 && s < 300), 0),
    fmt(r.stats.count((s) => s === 409), 0),
    fmt(r.stats.count((s) => s === 429), 0),
    fmt(r.stats.count((s) => !expected(s)) + (r.errors ?? 0), 0),
    r.acknowledged === undefined ? dash : fmt(r.acknowledged, 0),
    r.stored === undefined ? dash : fmt(r.stored, 0),
    r.overReserved === undefined ? dash : fmt(r.overReserved, 0),
  ]);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
  const sep = `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(headers), sep, ...cells.map(line)].join('\n');
}

function parseArgs(argv: string[]) {
  const opts = { seconds: 90, concurrency: [16, 64] };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(seconds|concurrency|help)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new UsageError(`unknown argument ${argv[i]}`);
    if (m[1] === 'help') {
      console.log(USAGE);
      process.exit(0);
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${m[1]} needs a value`);
    if (m[1] === 'seconds') {
      opts.seconds = Number(value);
      if (!Number.isFinite(opts.seconds) || opts.seconds < 3) throw new UsageError('--seconds must be a number of at least 3');
    } else {
      opts.concurrency = value.split(',').map(Number);
      if (!opts.concurrency.length || opts.concurrency.some((c) => !Number.isInteger(c) || c < 1 || c > 1024)) {
        throw new UsageError('--concurrency must be a comma-separated list of integers from 1 to 1024');
      }
    }
  }
  return opts;
}

class UsageError extends Error {}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function api<T>(base: string, method: string, p: string, body?: unknown, token?: string): Promise<T> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const iso = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();

/** A protective-gown demand near Wuhan that the arranged offers can cover on their own. */
function demandBody() {
  return {
    category: 'protective-gown',
    quantity: 50 + crypto.randomInt(250),
    deadline: iso(20 + crypto.randomInt(10)),
    deliveryLocation: { lat: 30.5 + Math.random() * 0.2, lng: 114.2 + Math.random() * 0.2 },
    maxPricePerUnit: 20,
    priority: (['critical', 'high', 'normal'] as const)[crypto.randomInt(3)],
  };
}

/**
 * Waits until the service has finished every request autocannon abandoned when the phase ended (the Event
 * log position unchanged for 1 s), then until the projector has written everything committed, so the
 * collections can be checked against what was acknowledged.
 */
async function quiesce(running: Running) {
  const { ledger, projector } = running.services;
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await ledger.settled();
    const seq = ledger.lastSeq();
    if (seq !== last) {
      last = seq;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1000) {
      break;
    }
    await sleep(100);
  }
  if (Date.now() >= deadline) console.error('  (the ledger did not become idle within 60 s; checking anyway)');
  await projector.idle();
}

/** How many of `ids` exist in the collection of `model` (one read of every `_id`: an `$in` is a scan per chunk on FerretDB). */
async function countStored(model: mongoose.Model<any>, ids: string[]) {
  const all = new Set((await model.collection.find({}, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)));
  return ids.filter((id) => all.has(id)).length;
}

type OfferRow = { _id: unknown; totalUnits: number; reservedUnits: number; version?: number; seq?: number };
type MatchRow = { _id: unknown; offer: unknown; units: number; status: string; version?: number; seq?: number };

/**
 * The reservation ledger, by the ledger's in-memory state (what the service decides on) and by the
 * projected documents (what a restart loads): offers holding more than they have, by their own counter or
 * by the units of the matches that reserve them; offers whose counter disagrees with those matches;
 * confirmations acknowledged but not held; projected documents that differ from the state (version).
 */
async function ledgerCheck(running: Running, confirmedAcks: string[]) {
  const state = running.services.ledger.state;
  const rawOffers = (await OfferModel.collection.find({}, { projection: { totalUnits: 1, reservedUnits: 1, version: 1, seq: 1 } }).toArray()) as unknown as OfferRow[];
  const rawMatches = (await MatchModel.collection.find({}, { projection: { offer: 1, units: 1, status: 1, version: 1, seq: 1 } }).toArray()) as unknown as MatchRow[];
  const isReserving = (status: string) => (reservingStatuses as readonly string[]).includes(status);
  const held = new Map<string, number>();
  for (const m of state.matches.values()) if (isReserving(m.status)) held.set(m.offerId, (held.get(m.offerId) ?? 0) + m.units);
  const rawHeld = new Map<string, number>();
  for (const m of rawMatches) if (isReserving(m.status)) rawHeld.set(String(m.offer), (rawHeld.get(String(m.offer)) ?? 0) + m.units);
  const rawOfferById = new Map(rawOffers.map((o) => [String(o._id), o]));
  let overReserved = 0;
  const mismatched: string[] = [];
  for (const o of state.offers.values()) {
    const raw = rawOfferById.get(o.id);
    if (Math.max(o.reservedUnits, held.get(o.id) ?? 0, raw?.reservedUnits ?? 0, rawHeld.get(o.id) ?? 0) > o.totalUnits) overReserved++;
    if (o.reservedUnits !== (held.get(o.id) ?? 0)) {
      mismatched.push(`offer ${o.id}: reservedUnits ${o.reservedUnits}, its confirmed matches hold ${held.get(o.id) ?? 0}, totalUnits ${o.totalUnits}`);
    }
  }
  const rawMatchById = new Map(rawMatches.map((m) => [String(m._id), m]));
  const missing: string[] = [];
  for (const id of confirmedAcks) {
    const m = state.matches.get(id);
    const raw = rawMatchById.get(id);
    if (!m || !isReserving(m.status) || !raw || !isReserving(raw.status)) {
      missing.push(`match ${id} acknowledged as confirmed: state v${m?.version} ${m?.status}, document v${raw?.version} ${raw?.status}`);
    }
  }
  const stale = {
    offers: [...state.offers.values()].filter((o) => rawOfferById.get(o.id)?.version !== o.version).length,
    matches: [...state.matches.values()].filter((m) => rawMatchById.get(m.id)?.version !== m.version).length,
  };
  let reservingMatches = 0;
  for (const m of state.matches.values()) if (isReserving(m.status)) reservingMatches++;
  return { offers: state.offers.size, overReserved, mismatched, missing, stale, reservingMatches };
}

interface World {
  running: Running;
  buyers: { token: string }[];
  supplierTokenByOrg: Map<string, string>;
}

/**
 * One phase against Fuchan: every connection loops over POST /api/demands (a rotating buyer, a unique
 * Idempotency-Key), GET its matches, then two accepts taken from a shared queue that holds, for every
 * proposal, the supplier's and the buyer's acceptance, so the two parties' calls usually run at once on
 * different connections and confirmations race for the same offers.
 */
async function fuchanPhase(w: World, concurrency: number, seconds: number, phase: number, postOnly = false) {
  const post = new EndpointStats();
  const get = new EndpointStats();
  const accept = new EndpointStats();
  const acked: string[] = [];
  const confirmed = new Set<string>();
  const queue: AcceptTask[] = [];
  let n = 0;
  let proposed = 0;

  const acceptSpec: AcRequestSpec = {
    method: 'POST',
    setupRequest: (req, ctx) => {
      const task = queue.shift();
      if (!task) return null; // nothing to accept: back to posting
      ctx.task = task;
      ctx.sentAt = performance.now();
      return { ...req, path: `/api/matches/${task.matchId}/accept`, headers: { authorization: `Bearer ${task.token}` }, body: undefined };
    },
    onResponse: (status, body, ctx) => {
      accept.record(status, ctx);
      if (status === 200 && (JSON.parse(body) as { status: string }).status === 'confirmed') confirmed.add(ctx.task!.matchId);
    },
  };
  const requests: AcRequestSpec[] = [
    {
      method: 'POST',
      path: '/api/demands',
      setupRequest: (req, ctx) => {
        n += 1;
        const buyer = w.buyers[n % w.buyers.length].token;
        ctx.buyer = buyer;
        ctx.demandId = undefined;
        ctx.sentAt = performance.now();
        return {
          ...req,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer}`, 'idempotency-key': `load-${phase}-${n}-${crypto.randomUUID()}` },
          body: JSON.stringify(demandBody()),
        };
      },
      onResponse: (status, body, ctx) => {
        post.record(status, ctx);
        if (status !== 201) return;
        const id = (JSON.parse(body) as { id: string }).id;
        acked.push(id);
        ctx.demandId = id;
      },
    },
    {
      method: 'GET',
      setupRequest: (req, ctx) => {
        if (!ctx.demandId) return null;
        ctx.sentAt = performance.now();
        return { ...req, path: `/api/demands/${ctx.demandId}/matches`, headers: { authorization: `Bearer ${ctx.buyer}` } };
      },
      onResponse: (status, body, ctx) => {
        get.record(status, ctx);
        if (status !== 200) return;
        const { items } = JSON.parse(body) as { items: { id: string; status: string; supplierOrgId: string }[] };
        if (items.length) proposed++;
        for (const m of items) {
          if (m.status !== 'proposed') continue;
          queue.push({ matchId: m.id, token: w.supplierTokenByOrg.get(m.supplierOrgId)! }, { matchId: m.id, token: ctx.buyer! });
        }
      },
    },
    acceptSpec,
    acceptSpec,
  ];

  const result = await autocannon({ url: w.running.url, connections: concurrency, duration: seconds, timeout: 30, requests: postOnly ? requests.slice(0, 1) : requests });
  if (process.env.BENCH_DEBUG) console.error(`    autocannon done (${result.totalCompletedRequests} requests); quiescing`);
  await quiesce(w.running);
  if (process.env.BENCH_DEBUG) console.error('    quiesced');
  const tc = performance.now();
  const stored = await countStored(DemandModel, acked);
  if (process.env.BENCH_DEBUG) console.error(`    ${acked.length} acknowledged demands looked up in ${fmt(performance.now() - tc, 0)} ms`);
  const reservations = await ledgerCheck(w.running, [...confirmed]);
  if (process.env.BENCH_DEBUG) console.error(`    reservations checked after ${fmt(performance.now() - tc, 0)} ms`);
  const missingConfirmed = reservations.missing.length;
  const rows: Row[] = postOnly
    ? [{ endpoint: 'POST /api/demands alone', concurrency, seconds: result.duration, stats: post, errors: result.errors, acknowledged: acked.length, stored }]
    : [
    { endpoint: 'Fuchan mix (all calls)', concurrency, seconds: result.duration, stats: EndpointStats.merge([post, get, accept]), errors: result.errors, overReserved: reservations.overReserved },
    { endpoint: '  POST /api/demands', concurrency, seconds: result.duration, stats: post, acknowledged: acked.length, stored },
    { endpoint: '  GET /api/demands/:id/matches', concurrency, seconds: result.duration, stats: get },
    {
      endpoint: '  POST /api/matches/:id/accept',
      concurrency,
      seconds: result.duration,
      stats: accept,
      acknowledged: confirmed.size,
      stored: confirmed.size - missingConfirmed,
    },
  ];
  const unexpected = EndpointStats.merge([post, get, accept]).count((x) => !expected(x)) + result.errors;
  return { rows, unexpected, missing: acked.length - stored + missingConfirmed, reservations, errors: result.errors, timeouts: result.timeouts, leftInQueue: queue.length, proposed, looked: get.count((x) => x === 200) };
}

/** The baseline: a bare Express 5 app that inserts the JSON body with one Mongoose create. */
async function startBare(): Promise<{ url: string; server: http.Server; model: mongoose.Model<any> }> {
  const model =
    mongoose.models.BenchBare ?? mongoose.model('BenchBare', new mongoose.Schema({}, { strict: false, versionKey: false }), 'bench_bare');
  const app = express();
  app.use(express.json());
  app.post('/bare', async (req, res) => {
    const doc = await model.create(req.body);
    res.status(201).json({ id: String(doc._id) });
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, model };
}

async function barePhase(bare: Awaited<ReturnType<typeof startBare>>, concurrency: number, seconds: number) {
  const stats = new EndpointStats();
  const acked: string[] = [];
  const requests: AcRequestSpec[] = [
    {
      method: 'POST',
      path: '/bare',
      setupRequest: (req, ctx) => {
        ctx.sentAt = performance.now();
        return { ...req, headers: { 'content-type': 'application/json' }, body: JSON.stringify(demandBody()) };
      },
      onResponse: (status, body, ctx) => {
        stats.record(status, ctx);
        if (status === 201) acked.push((JSON.parse(body) as { id: string }).id);
      },
    },
  ];
  const result = await autocannon({ url: bare.url, connections: concurrency, duration: seconds, timeout: 30, requests });
  await sleep(500);
  const stored = await countStored(bare.model, acked);
  const row: Row = { endpoint: 'bare insert POST /bare', concurrency, seconds: result.duration, stats, errors: result.errors, acknowledged: acked.length, stored };
  return { row, missing: acked.length - stored };
}

/** Suppliers with gown offers of different sizes and prices, and buyers, all through the API. */
async function arrange(running: Running): Promise<World> {
  const org = (i: number, role: string) => ({
    email: `load-${role}-${i}-${process.pid}@bench.test`,
    password: PASSWORD,
    name: `Load ${role} ${i}`,
    role,
    organization: { name: `Load ${role} ${i}`, region: 'Hubei', location: { lat: 30.5 + i * 0.01, lng: 114.3 }, certifications: role === 'supplier' ? ['iso-13485'] : [] },
  });
  type Session = { token: string; user: { organization: { id: string } } };
  const suppliers: Session[] = [];
  for (let i = 0; i < SUPPLIERS; i++) suppliers.push(await api<Session>(running.url, 'POST', '/api/auth/register', org(i, 'supplier')));
  const buyers: Session[] = [];
  for (let i = 0; i < BUYERS; i++) buyers.push(await api<Session>(running.url, 'POST', '/api/auth/register', org(i, 'buyer')));
  // their certificates verified, as a coordinator would after checking the evidence (regulated goods are
  // proposed only from verified certifications)
  const now = running.services.ledger.now();
  for (const s of suppliers) {
    for (const c of ['iso-13485', 'gb-19082']) {
      await running.services.trust.record(s.user.organization.id, c, benchVerified(c, now));
    }
  }
  // two offers each: a small one that runs out during the run and a large one, so proposals and
  // confirmations concentrate on a few offer documents and some of them fill up
  for (const [i, s] of suppliers.entries()) {
    for (const unitsPerDay of [200 + 100 * i, 20_000]) {
      await api(running.url, 'POST', '/api/offers', {
        products: [{ category: 'protective-gown', unitsPerDay }],
        capabilities: ['sewing', 'heat-sealing'],
        availableFrom: iso(0),
        availableTo: iso(30),
        minOrderUnits: 1,
        pricePerUnit: 8 + i,
        certifications: ['iso-13485', 'gb-19082'],
      }, s.token);
    }
  }
  return {
    running,
    buyers,
    supplierTokenByOrg: new Map(suppliers.map((s) => [s.user.organization.id, s.token])),
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // three phases per concurrency level: POST /api/demands alone, the mix, the bare insert
  const phaseSeconds = Math.max(1, Math.round(opts.seconds / (3 * opts.concurrency.length)));
  const started = Date.now();
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    while (cleanups.length) {
      const fn = cleanups.pop()!;
      await Promise.race([fn().catch((e: Error) => console.error(`cleanup: ${e.message}`)), sleep(20_000)]);
    }
  };
  const hardLimit = setTimeout(() => {
    console.error(`load: hard time limit reached; cleaning up and exiting.`);
    void cleanup().finally(() => process.exit(3));
  }, (opts.seconds * 2 + 300) * 1000);
  hardLimit.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`load: ${sig}; cleaning up...`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuchan-load-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    let mongodbUri: string | undefined;
    if (process.env.MONGODB_URI) {
      const u = new URL(process.env.MONGODB_URI);
      u.pathname = `/fuchan_bench_load_${process.pid}`; // a throw-away database, never the configured one
      mongodbUri = u.toString();
    }
    const config = loadConfig({
      FUCHAN_DATA_DIR: dataDir,
      FUCHAN_CACHE_DIR: path.join(repoRoot, '.cache'),
      FUCHAN_DEMO: 'false',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BCRYPT_ROUNDS: '4',
      RATE_LIMIT_WRITE_PER_MINUTE: '10000000',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      RATE_LIMIT_READ_PER_MINUTE: '10000000',
      RATE_LIMIT_REGISTER_PER_HOUR: '1000000',
      ...(process.env.FUCHAN_DB_BACKEND ? { FUCHAN_DB_BACKEND: process.env.FUCHAN_DB_BACKEND } : {}),
      ...(mongodbUri ? { MONGODB_URI: mongodbUri } : {}),
    });
    if (process.env.BENCH_DEBUG) {
      // diagnostics only: the Event log append errors the ledger turns into 503 db_unavailable
      const coll = EventModel.collection as unknown as { insertMany: (...a: unknown[]) => Promise<unknown> };
      const orig = coll.insertMany.bind(EventModel.collection);
      const seen = new Map<string, number>();
      coll.insertMany = async (...a: unknown[]) => {
        try {
          return await orig(...a);
        } catch (err) {
          const msg = `${(err as { code?: unknown }).code ?? ''} ${(err as Error).message}`.slice(0, 300);
          seen.set(msg, (seen.get(msg) ?? 0) + 1);
          if (seen.get(msg) === 1) console.error(`    Event log append failed: ${msg}`);
          throw err;
        }
      };
    }
    const running = await start(config);
    cleanups.push(() => running.stop());
    if (mongodbUri) cleanups.push(async () => void (await mongoose.connection.db?.dropDatabase()));
    const db = running.embedded ? `embedded ${backendName(running.config.dbBackend)} in ${dataDir}` : 'MONGODB_URI (a throw-away database)';
    console.log(`# Fuchan load: ${opts.concurrency.join(', ')} connections, ${phaseSeconds} s each, against ${db}`);
    console.log(`${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}; service, baseline and autocannon share this process.\n`);

    const w = await arrange(running);
    const bare = await startBare();
    cleanups.push(() => new Promise<void>((r) => bare.server.close(() => r())));

    const rows: Row[] = [];
    const ratios: string[] = [];
    const notes: string[] = [];
    let missing = 0;
    let overReserved = 0;
    let unexpected = 0;
    const targets: { c: number; postRatio: number; mixRatio: number; p99Ratio: number; maxStatements: number }[] = [];
    for (const [i, c] of opts.concurrency.entries()) {
      const alone = await fuchanPhase(w, c, phaseSeconds, 2 * i, true);
      console.error(`  c=${c}: POST /api/demands alone done after ${fmt((Date.now() - started) / 1000, 0)} s`);
      const f = await fuchanPhase(w, c, phaseSeconds, 2 * i + 1);
      console.error(`  c=${c}: the mix done after ${fmt((Date.now() - started) / 1000, 0)} s`);
      const b = await barePhase(bare, c, phaseSeconds);
      rows.push(...alone.rows, ...f.rows, b.row);
      missing += alone.missing + f.missing + b.missing;
      unexpected += alone.unexpected + f.unexpected;
      overReserved = Math.max(overReserved, alone.reservations.overReserved, f.reservations.overReserved);
      const posts = alone.rows[0];
      const all = f.rows[0];
      const rps = (r: Row) => r.stats.requests / r.seconds;
      const p99 = (r: Row) => percentile(r.stats.latencies, 99);
      targets.push({ c, postRatio: rps(posts) / rps(b.row), mixRatio: rps(all) / rps(b.row), p99Ratio: p99(posts) / p99(b.row), maxStatements: w.running.services.projector.maxStatementsSent });
      ratios.push(
        `c=${c}: req/s ÷ bare: POST /api/demands alone ${pct(rps(posts), rps(b.row))} (target ≥ 70 %), the mix ${pct(rps(all), rps(b.row))} (target ≥ 50 %), POST /api/demands within the mix ${pct(rps(f.rows[1]), rps(b.row))}; ` +
          `p99 ÷ bare p99: POST /api/demands alone ${fmt(p99(posts) / p99(b.row), 2)}x (target ≤ 3x), the mix ${fmt(p99(all) / p99(b.row), 2)}x`,
      );
      notes.push(
        `c=${c}: ${f.proposed} of ${f.looked} demands looked at had a proposal; ${f.reservations.offers} offers, ${f.reservations.reservingMatches} confirmed matches, ${f.reservations.mismatched.length} offers whose reservedUnits differ from their confirmed matches${f.reservations.mismatched.map((m) => ` (${m})`).join('')}; ` +
          `${f.reservations.missing.length} confirmations acknowledged but not held${f.reservations.missing.map((m) => ` (${m})`).join('')}; ` +
          `projected documents differing from the ledger state: ${f.reservations.stale.offers} offers, ${f.reservations.stale.matches} matches; ` +
          `${alone.errors + f.errors} transport errors (${alone.timeouts + f.timeouts} timeouts); ${f.leftInQueue} acceptances still queued at the end`,
      );
      console.error(`  phase c=${c} done after ${fmt((Date.now() - started) / 1000, 0)} s`);
    }

    console.log(tableOf(rows));
    console.log('\n### Targets (req/s and p99 relative to the bare insert at the same concurrency)\n');
    console.log(
      [
        '| concurrency | POST /api/demands req/s ÷ bare (≥ 70 %) | mix req/s ÷ bare (≥ 50 %) | POST p99 ÷ bare p99 (≤ 3x) | projector: largest update command (≤ ' + MAX_UPDATE_STATEMENTS + ') |',
        '|---:|---:|---:|---:|---:|',
        ...targets.map((t) => `| ${t.c} | ${fmt(100 * t.postRatio)} % | ${fmt(100 * t.mixRatio)} % | ${fmt(t.p99Ratio, 2)}x | ${t.maxStatements} |`),
      ].join('\n'),
    );
    console.log('\nFuchan vs bare insert:');
    for (const r of ratios) console.log(`- ${r}`);
    console.log('\nChecks (cumulative over the run):');
    for (const n of notes) console.log(`- ${n}`);
    console.log(
      `\n"acknowledged"/"stored": for POST rows the 201 ids and how many of them the database holds; for accept, the matches acknowledged as confirmed and how many the database holds as confirmed. ` +
        `"other": any status but 2xx/409/429, plus transport errors and timeouts.`,
    );
    const maxStatements = running.services.projector.maxStatementsSent;
    const ok = missing === 0 && overReserved === 0 && unexpected === 0 && maxStatements <= MAX_UPDATE_STATEMENTS;
    console.log(
      `\nResult: ${missing} acknowledged writes missing, ${overReserved} over-reserved offers, ${unexpected} undocumented statuses or transport errors, ` +
        `largest projector update command ${maxStatements} statements (limit ${MAX_UPDATE_STATEMENTS}): ${ok ? 'PASS' : 'FAIL'} (finished in ${fmt((Date.now() - started) / 1000, 0)} s)`,
    );
    console.log(
      `Summary: bench:load ` +
        targets.map((t) => `c=${t.c}: POST ${fmt(100 * t.postRatio, 0)} % of bare req/s, mix ${fmt(100 * t.mixRatio, 0)} %, POST p99 ${fmt(t.p99Ratio, 2)}x bare`).join('; ') +
        `; checks ${ok ? 'PASS' : 'FAIL'}`,
    );
    process.exitCode = ok ? 0 : 1;
  } finally {
    await cleanup();
    clearTimeout(hardLimit);
  }
  // drivers or timers left by libraries must not keep a finished benchmark alive
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
}

main().catch((err: unknown) => {
  if (err instanceof UsageError) {
    console.error(`${err.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error('load failed:', err instanceof Error ? err.stack : err);
  process.exit(1);
});

/**
 * Benchmark: time from a new demand to its stored proposals, with 10k, 50k and 100k open offers.
 *
 *   npx tsx scripts/bench/match.ts [--sizes 10000,50000,100000] [--demands 200] [--seed 2020] [--budget 285]
 *
 * One service is started with `start(loadConfig(env))` on an embedded FerretDB over a fresh temporary
 * folder (or on a throw-away database of MONGODB_URI when it is set). Then, for each size, smallest first:
 *   1. bulk-inserts open offers up to that size (insertMany, batches of 5,000) with the supplier
 *      organizations they belong to, generated like the demo scenario (many categories, spread over the
 *      provinces, some factories that can convert their lines); the offers come from one large scenario,
 *      suppliers in a seeded random order with all their offers, so every size is a representative sample
 *      (about 1.5 offers per supplier, as in the demo) and a larger size extends the smaller;
 *   2. builds a fresh set of services over the same database (`createServices(config)`, i.e. a second
 *      instance without HTTP) and times `matching.loadView()`: what a (re)start costs at that size;
 *   3. posts the size's demands one at a time through `postings.createDemand(auth, input)` as their own
 *      buyer organization, timing each call (store the demand, plan on the in-memory view, store the
 *      proposals, append the events). These services have no background coverage loop, so the numbers are
 *      the demand path itself (the started service tails their events, like a second instance would);
 *   4. for the same demands, times the pure in-memory planning step (`matching.planForDemand`). Planning
 *      reserves units in the view, so each demand is planned under a temporary id just before it is
 *      posted and the reservations are undone at once (planned proposals put back as `withdrawn`, the
 *      temporary demand removed): the real call then sees the same view and should plan the same
 *      proposals ("plans agree" checks it);
 *   5. closes the size's demands and proposals in the database, so the next size's view starts clean.
 *
 * Prints markdown tables with this machine's numbers and asserts nothing about timings. The run keeps to
 * `--budget` seconds: the demands of a size are posted while its share of the time lasts, and a size whose
 * offers cannot all be inserted in time is measured with what was inserted; the output says so.
 */
import mongoose from 'mongoose';
import { DemandModel } from '../../models/demand.model';
import type { DemandDoc } from '../../models/demand.model';
import type { DemandInput } from '../../models/demand.schema';
import { pendingStatuses } from '../../models/match.schema';
import { MatchModel } from '../../models/match.model';
import { OfferModel } from '../../models/offer.model';
import { OrganizationModel } from '../../models/organization.model';
import type { AuthContext } from '../../server/auth/auth.service';
import { loadConfig } from '../../server/config';
import { createLogger, type Logger } from '../../server/logger';
import { computeCoverage } from '../../server/metrics/coverage.service';
import { createServices, start, type Running, type Services } from '../../server/index';
import { totalUnitsOf } from '../../server/postings/postings.service';
import { buildScenario, type ScenarioDemand, type ScenarioOffer, type ScenarioOrganization } from '../demo/scenario';
import {
  benchEnv,
  fmt,
  fmtInt,
  machineLine,
  markdownTable,
  mean,
  onCleanup,
  parseArgs,
  positiveInt,
  runBench,
  scratchMongoUri,
  secondsLeft,
  summary,
  tempDir,
} from './common';

const USAGE = `Usage: npx tsx scripts/bench/match.ts [--sizes 10000,50000,100000] [--demands 200] [--seed 2020] [--budget 285]
  --sizes             open offers to measure with, comma-separated (one database, grown size after size)
  --demands           demands posted one at a time at each size
  --seed              scenario seed (same seed, same offers and demands)
  --budget            seconds the whole run may take; what does not fit is measured partially and said so`;

const args = parseArgs(
  process.argv.slice(2),
  { sizes: '10000,50000,100000', demands: '200', seed: '2020', budget: '285' },
  USAGE,
);
const sizes = [...new Set(args.sizes.split(',').map((s) => positiveInt('sizes', s.trim())))].sort((a, b) => a - b);
const demandCount = positiveInt('demands', args.demands);
const seed = positiveInt('seed', args.seed);
const budgetSeconds = positiveInt('budget', args.budget);
const BATCH = 5_000;
/** Offers per supplier organization, as in the demo scenario (220 suppliers, 330 offers). */
const OFFERS_PER_SUPPLIER = 1.5;

// ---------------------------------------------------------------------------------------------------

/** The service's logger, quiet about coverage recomputations cut short while it stops. */
let stopping = false;
let suppressedWarnings = 0;
const baseLog = createLogger('warn');
const serviceLog: Logger = {
  ...baseLog,
  warn: (msg, extra) => {
    if (stopping && /coverage update failed/.test(msg)) {
      suppressedWarnings++;
      return;
    }
    baseLog.warn(msg, extra);
  },
};
const progress = (m: string) => console.error(`[match] ${m}`);

function shuffled<T>(items: T[], s: number): T[] {
  let a = s >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function orgDoc(o: ScenarioOrganization, _id: mongoose.Types.ObjectId, at: Date) {
  return {
    _id,
    name: o.name,
    kind: o.role,
    region: o.region,
    location: o.location,
    certifications: o.certifications,
    verified: o.verified,
    stats: { confirmed: 0, delivered: 0, cancelled: 0 },
    createdAt: at,
    updatedAt: at,
  };
}

function offerDoc(o: ScenarioOffer, org: ScenarioOrganization, orgId: mongoose.Types.ObjectId, at: Date) {
  const from = new Date(o.availableFrom);
  const to = new Date(o.availableTo);
  return {
    _id: new mongoose.Types.ObjectId(),
    organization: orgId,
    organizationName: org.name,
    region: org.region,
    products: o.products,
    capabilities: o.capabilities,
    certifications: o.certifications,
    availableFrom: from,
    availableTo: to,
    location: o.location,
    minOrderUnits: o.minOrderUnits,
    pricePerUnit: o.pricePerUnit,
    conversionLeadDays: o.conversionLeadDays,
    totalUnits: totalUnitsOf(o.products, from, to),
    reservedUnits: 0,
    deliveredUnits: 0,
    status: 'open',
    version: 0,
    createdAt: at,
    updatedAt: at,
  };
}

interface PostResult {
  posted: number;
  postMs: number[];
  pureMs: number[];
  planInCallMs: number[];
  eventWriteMs: number[];
  eventWrites: number[];
  events: number[];
  proposals: number[];
  candidates: number[];
  plansAgree: number;
}

interface SizeResult extends PostResult {
  requested: number;
  offers: number;
  openInView: number;
  supplierOrgs: number;
  insertSeconds: number;
  insertedNow: number;
  loadViewMs: number;
  note: string;
}

interface Ctx {
  running: Running;
  ids: Map<string, mongoose.Types.ObjectId>;
  orgByKey: Map<string, ScenarioOrganization>;
  auths: Map<string, AuthContext>;
}

/**
 * Posts demands one at a time through `services`, each preceded by the pure planning step on the same
 * view (undone at once); stops early at `deadline` (ms since epoch).
 */
async function postDemands(ctx: Ctx, services: Services, demands: ScenarioDemand[], deadline: number): Promise<PostResult> {
  const { matching, postings } = services;
  // Instrument this services instance (instance properties only; no server code is changed).
  const origPlan = matching.planForDemand.bind(matching);
  let planAcc = 0;
  matching.planForDemand = ((id: string) => {
    const t = performance.now();
    try {
      return origPlan(id);
    } finally {
      planAcc += performance.now() - t;
    }
  }) as typeof matching.planForDemand;
  let writeAcc = 0;
  let writes = 0;
  let measuring = false;
  const restore: (() => void)[] = [() => (matching.planForDemand = origPlan)];
  // the Event log writes of one call: outermost append/appendMany calls (one database write each, unless
  // another instance took the numbers), timed from call to durable, and the events they stored
  const log = services.eventLog as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  let depth = 0;
  for (const name of ['append', 'appendMany']) {
    const orig = log[name];
    if (typeof orig !== 'function') continue;
    const bound = orig.bind(services.eventLog);
    log[name] = (...a: unknown[]) => {
      const t = performance.now();
      const outer = depth === 0;
      depth++;
      let p: Promise<unknown>;
      try {
        p = bound(...a);
      } finally {
        depth--;
      }
      if (measuring && outer) {
        writes++;
        void p.then(
          () => (writeAcc += performance.now() - t),
          () => undefined,
        );
      }
      return p;
    };
    restore.push(() => (log[name] = orig));
  }
  let eventsAcc = 0;
  services.eventLog.onAppended(() => {
    if (measuring) eventsAcc++;
  });

  const r: PostResult = { posted: 0, postMs: [], pureMs: [], planInCallMs: [], eventWriteMs: [], eventWrites: [], events: [], proposals: [], candidates: [], plansAgree: 0 };
  const key = (xs: { offerId: string; units: number }[]) =>
    xs
      .map((x) => `${x.offerId}:${x.units}`)
      .sort()
      .join(',');
  try {
    for (const d of demands) {
      if (Date.now() > deadline) break;
      const org = ctx.orgByKey.get(d.orgKey)!;
      const input: DemandInput = {
        category: d.category as DemandInput['category'],
        quantity: d.quantity,
        deadline: d.deadline,
        deliveryLocation: d.deliveryLocation,
        requiredCertifications: d.requiredCertifications as DemandInput['requiredCertifications'],
        maxPricePerUnit: d.maxPricePerUnit,
        priority: d.priority,
      };
      r.candidates.push(matching.view.offersServing(d.category).length);

      // (a) the pure planning step on the live view, under a temporary id; reservations undone at once
      let planned: { offerId: string; units: number }[] = [];
      {
        const tempId = new mongoose.Types.ObjectId();
        const at = new Date();
        const tempDoc = {
          _id: tempId,
          organization: ctx.ids.get(d.orgKey)!,
          organizationName: org.name,
          region: org.region,
          category: d.category,
          quantity: d.quantity,
          deadline: new Date(d.deadline),
          deliveryLocation: d.deliveryLocation,
          requiredCertifications: d.requiredCertifications,
          maxPricePerUnit: d.maxPricePerUnit,
          priority: d.priority,
          confirmedUnits: 0,
          deliveredUnits: 0,
          status: 'open',
          version: 0,
          createdAt: at,
          updatedAt: at,
        } as unknown as DemandDoc;
        matching.applyDemand(tempDoc);
        const tp = performance.now();
        const plans = origPlan(String(tempId));
        r.pureMs.push(performance.now() - tp);
        for (const p of plans) {
          matching.view.putMatch({ id: String(p.id), offerId: p.offer.id, demandId: p.demand.id, units: p.units, status: 'withdrawn', version: 1 });
        }
        matching.view.putDemand(String(tempId), null, 1);
        planned = plans.map((p) => ({ offerId: p.offer.id, units: p.units }));
      }

      // (b) the real call: store the demand, plan, store the proposals, append the events
      planAcc = 0;
      writeAcc = 0;
      writes = 0;
      eventsAcc = 0;
      measuring = true;
      const tr = performance.now();
      const dto = await postings.createDemand(ctx.auths.get(d.orgKey)!, input);
      r.postMs.push(performance.now() - tr);
      measuring = false;
      r.planInCallMs.push(planAcc);
      r.eventWriteMs.push(writeAcc);
      r.eventWrites.push(writes);
      r.events.push(eventsAcc);
      const stored = matching.view.pendingForDemand(dto.id);
      r.proposals.push(stored.length);
      if (key(stored) === key(planned)) r.plansAgree++;
      r.posted++;
    }
  } finally {
    measuring = false;
    for (const f of restore) f();
  }
  return r;
}

/** Closes every open demand and pending proposal in the database (the next size starts from offers only). */
async function closeDemands() {
  await MatchModel.collection.updateMany({ status: { $in: [...pendingStatuses] } }, { $set: { status: 'withdrawn' }, $inc: { version: 1 } });
  await DemandModel.collection.updateMany({ status: 'open' }, { $set: { status: 'withdrawn' }, $inc: { version: 1 } });
}

const results: SizeResult[] = [];
const skipped: string[] = [];
let coverageMs = NaN;
let coverageAt = 0;
let usingMongoUri = false;
let reported = false;

runBench('bench:match', budgetSeconds + 60, async () => {
  const started = Date.now();
  const largest = sizes[sizes.length - 1];
  const dataDir = tempDir('fuchan-bench-match-');
  const mongoUri = scratchMongoUri('match');
  usingMongoUri = !!mongoUri;
  const env = benchEnv(dataDir, { MONGODB_URI: mongoUri ?? undefined });
  const config = loadConfig(env);
  const running = await start(config, serviceLog);
  onCleanup('stop the service', async () => {
    stopping = true;
    if (mongoUri) await mongoose.connection.db?.dropDatabase().catch(() => undefined);
    await running.stop();
    if (suppressedWarnings) progress(`${suppressedWarnings} "coverage update failed" warnings from background recomputations cut short by the stop were suppressed`);
  });
  progress(`service up at ${running.url} (${mongoUri ? 'MONGODB_URI, scratch database' : `embedded FerretDB in ${dataDir}`})`);

  // One scenario large enough for the largest size.
  const tg = performance.now();
  const now = new Date();
  const scenario = buildScenario({
    seed,
    now,
    suppliers: Math.max(220, Math.round(largest / OFFERS_PER_SUPPLIER)),
    buyers: 110,
    offers: largest,
    demands: demandCount * sizes.length,
  });
  // offers grouped by supplier, suppliers in a seeded random order: every prefix is a fair sample with
  // the scenario's ratio of offers to suppliers
  const offersOf = new Map<string, ScenarioOffer[]>();
  for (const o of scenario.offers) offersOf.set(o.orgKey, [...(offersOf.get(o.orgKey) ?? []), o]);
  const offers = shuffled([...offersOf.keys()], seed).flatMap((k) => offersOf.get(k)!);
  const demandsBySize = sizes.map((_, i) => scenario.demands.slice(i * demandCount, (i + 1) * demandCount));
  progress(`scenario of ${fmtInt(offers.length)} offers and ${fmtInt(scenario.demands.length)} demands generated in ${fmt(performance.now() - tg, 0)} ms`);

  const ids = new Map<string, mongoose.Types.ObjectId>();
  const orgByKey = new Map(scenario.organizations.map((o) => [o.key, o]));
  // buyers (and a user each, to post as) up front; suppliers with their first offer
  const buyers = scenario.organizations.filter((o) => o.role === 'buyer');
  for (const b of buyers) ids.set(b.key, new mongoose.Types.ObjectId());
  await OrganizationModel.insertMany(
    buyers.map((b) => orgDoc(b, ids.get(b.key)!, now)),
    { lean: true },
  );
  const auths = new Map<string, AuthContext>();
  for (const key of new Set(scenario.demands.map((d) => d.orgKey))) {
    const organizationId = String(ids.get(key)!);
    const user = await running.services.auth.createUser({
      email: `bench.${key}.${process.pid}@example.test`,
      password: 'bench password',
      name: `Bench ${key}`,
      role: 'buyer',
      organizationId,
    });
    auths.set(key, { userId: user.id, role: 'buyer', organizationId });
  }
  const ctx: Ctx = { running, ids, orgByKey, auths };

  let inserted = 0;
  let supplierOrgs = 0;
  // A cost model of this machine, refined with every measurement, shares the time out. Sizes are served
  // in order: each gets its offers, its view load and at least MIN_DEMANDS demands, while keeping 45 % of
  // the time left for the larger sizes after it; what a size cannot afford it measures partially. Spare
  // time goes to more demands.
  let insertMsPerOffer = 0.5; // an offer and its share of organizations
  let loadMsPerOffer = 0.8;
  let dbMsPerDemand = 150; // a createDemand call minus its planning
  let planMsPerKOffers = 1.5; // one planning run per 1,000 open offers
  const MARGIN = 15; // seconds kept for the report and the teardown
  const MIN_DEMANDS = Math.min(demandCount, 50);
  const demandSeconds = (size: number, n = demandCount) => (n * (dbMsPerDemand + (2 * planMsPerKOffers * size) / 1000)) / 1000;
  const fixedSeconds = (j: number) => ((sizes[j] - (j > 0 ? sizes[j - 1] : 0)) * insertMsPerOffer + sizes[j] * loadMsPerOffer) / 1000;
  const sum = (from: number, f: (j: number) => number) => sizes.slice(from).reduce((acc, _, k) => acc + f(from + k), 0);

  /** Open offers reachable from `from` in `seconds`: insert, load the view, post MIN_DEMANDS demands. */
  const affordable = (seconds: number, from: number) => {
    const secondsPerOffer = (insertMsPerOffer + loadMsPerOffer + (2 * MIN_DEMANDS * planMsPerKOffers) / 1000) / 1000;
    const fixedPart = (-from * insertMsPerOffer) / 1000 + (MIN_DEMANDS * dbMsPerDemand) / 1000;
    return Math.floor((seconds - fixedPart) / secondsPerOffer);
  };

  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i];
    let last = i === sizes.length - 1;
    const label = `[${fmtInt(size)} offers]`;
    // 1. grow the offers towards `size`: as many as this size can afford
    const left = secondsLeft(started, budgetSeconds) - MARGIN;
    const spend = last ? left : 0.55 * left;
    let target = Math.max(inserted, Math.min(size, affordable(spend, inserted)));
    if (target >= 0.95 * size) target = size; // within the model's error: try the full size (the time cap still holds)
    // a time cap too, in case inserting is slower than it was so far
    const insertBudget = 10 + (2 * (target - inserted) * insertMsPerOffer) / 1000;
    const insertDeadline = Date.now() + insertBudget * 1000;
    const ti = performance.now();
    const before = inserted;
    while (inserted < target && Date.now() < insertDeadline) {
      const batch = offers.slice(inserted, Math.min(target, inserted + BATCH));
      const newOrgs = [];
      for (const o of batch) {
        if (ids.has(o.orgKey)) continue;
        const _id = new mongoose.Types.ObjectId();
        ids.set(o.orgKey, _id);
        newOrgs.push(orgDoc(orgByKey.get(o.orgKey)!, _id, now));
      }
      if (newOrgs.length) await OrganizationModel.insertMany(newOrgs, { lean: true });
      supplierOrgs += newOrgs.length;
      await OfferModel.insertMany(
        batch.map((o) => offerDoc(o, orgByKey.get(o.orgKey)!, ids.get(o.orgKey)!, now)),
        { lean: true },
      );
      inserted += batch.length;
    }
    const insertSeconds = (performance.now() - ti) / 1000;
    if (inserted > before) insertMsPerOffer = (insertSeconds * 1000) / (inserted - before);
    const note =
      inserted < size
        ? `partial: ${fmtInt(inserted)} of ${fmtInt(size)} offers, what fitted in the time budget at this machine's measured rates (insert ${fmt(insertMsPerOffer, 2)} ms and view load ${fmt(loadMsPerOffer, 2)} ms per offer)`
        : '';
    progress(`${label} ${fmtInt(inserted - before)} offers inserted in ${fmt(insertSeconds, 1)} s (${fmtInt(supplierOrgs)} supplier organizations so far)${note ? `; ${note}` : ''}`);

    // 2. a fresh instance's view over the database: the load a (re)start pays
    const services = createServices(config);
    await services.auth.init();
    await services.eventLog.init();
    const tl = performance.now();
    await services.matching.loadView();
    const loadViewMs = performance.now() - tl;
    loadMsPerOffer = loadViewMs / Math.max(1, inserted);
    progress(`${label} loadView ${fmt(loadViewMs, 0)} ms: ${fmtInt(services.matching.view.offers.size)} open offers in the view`);
    if (i === 0) {
      const tc = performance.now();
      await computeCoverage();
      coverageMs = performance.now() - tc;
      coverageAt = inserted;
      progress(`${label} one coverage computation: ${fmt(coverageMs, 0)} ms`);
    }

    // 3 + 4. demands, with the pure planning step before each, for this size's share of the time left
    const nowLeft = secondsLeft(started, budgetSeconds) - MARGIN;
    const minimum = demandSeconds(inserted, MIN_DEMANDS);
    if (!last) {
      // can the next size still grow the offers by a quarter? If not, it is not measured and this size
      // takes the time left
      const reach = affordable(nowLeft - minimum, inserted);
      if (reach < Math.min(sizes[i + 1], inserted * 1.25)) {
        for (const z of sizes.slice(i + 1)) {
          skipped.push(
            `${fmtInt(z)} offers: not measured; at this machine's measured rates (insert ${fmt(insertMsPerOffer, 2)} ms, view load ${fmt(loadMsPerOffer, 2)} ms per offer, ` +
              `planning ${fmt(planMsPerKOffers, 2)} ms per 1,000 offers) growing beyond ${fmtInt(inserted)} offers did not fit in the ${fmt(nowLeft, 0)} s left; run with a larger --budget`,
          );
        }
        progress(`${label} the larger sizes do not fit in the time left; this size takes it`);
        last = true;
      }
    }
    const slack = nowLeft - sum(i + 1, (j) => fixedSeconds(j) + demandSeconds(sizes[j], MIN_DEMANDS));
    const share = last
      ? Math.max(minimum, nowLeft)
      : minimum + Math.max(0, slack - minimum) * (demandSeconds(size) / sum(i, (j) => demandSeconds(sizes[j])));
    const tp = performance.now();
    const r = await postDemands(ctx, services, demandsBySize[i], Date.now() + share * 1000);
    const postSeconds = (performance.now() - tp) / 1000;
    if (r.posted) {
      dbMsPerDemand = Math.max(20, mean(r.postMs) - mean(r.planInCallMs));
      planMsPerKOffers = mean(r.pureMs) / (inserted / 1000);
    }
    const s = summary(r.postMs);
    progress(
      `${label} ${r.posted} demands in ${fmt(postSeconds, 1)} s: createDemand p50 ${fmt(s.p50)} ms, p95 ${fmt(s.p95)} ms; pure planning p50 ${fmt(summary(r.pureMs).p50, 2)} ms`,
    );
    results.push({
      ...r,
      requested: size,
      offers: inserted,
      openInView: services.matching.view.offers.size,
      supplierOrgs,
      insertSeconds,
      insertedNow: inserted - before,
      loadViewMs,
      note,
    });

    // 5. the next size starts from offers only
    if (last) break;
    await closeDemands();
  }

  report();
}, { onHardLimit: () => report() });

/** Prints the tables for what was measured (also when the hard time limit cuts the run short). */
function report() {
  if (reported) return;
  reported = true;
  const offersCell = (r: SizeResult) => (r.offers < r.requested ? `${fmtInt(r.offers)} of ${fmtInt(r.requested)} (partial)` : fmtInt(r.offers));
  console.log('## Matching: time from a new demand to its stored proposals\n');
  console.log(`Machine: ${machineLine()}.`);
  console.log(
    `Database: ${usingMongoUri ? 'MONGODB_URI (a scratch database, dropped at the end)' : 'embedded FerretDB (SQLite) in a fresh temporary folder'}. ` +
      `Seed ${seed}; ${demandCount} demands per size; budget ${budgetSeconds} s.\n`,
  );
  console.log('### createDemand (store the demand, plan on the in-memory view, store the proposals, append the events)\n');
  console.log(
    markdownTable(
      ['open offers', 'view load (ms)', 'demands posted', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)', 'mean proposals per demand'],
      results.map((r) => {
        const s = summary(r.postMs);
        return [offersCell(r), fmt(r.loadViewMs, 0), fmtInt(r.posted), fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max), fmt(mean(r.proposals), 2)];
      }),
    ),
  );

  console.log('\n### The pure in-memory planning step alone (`matching.planForDemand`), same demands, same view\n');
  console.log(
    markdownTable(
      ['open offers', 'mean candidate offers', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)', 'p50 vs createDemand p50', 'plans agree'],
      results.map((r) => {
        const s = summary(r.pureMs);
        return [offersCell(r), fmt(mean(r.candidates), 0), fmt(s.p50, 2), fmt(s.p95, 2), fmt(s.p99, 2), fmt(s.max, 2), `${fmt((100 * s.p50) / summary(r.postMs).p50, 1)} %`, `${r.plansAgree}/${r.posted}`];
      }),
    ),
  );

  console.log('\n### Where a createDemand call spends its time (means per demand), and set-up costs\n');
  console.log(
    markdownTable(
      ['open offers', 'createDemand (ms)', 'planning in the call (ms)', 'events / Event log writes', 'Event log writes (ms)', 'rest: demand + proposal writes (ms)', 'offers inserted for this size', 'supplier orgs'],
      results.map((r) => {
        const whole = mean(r.postMs);
        const plan = mean(r.planInCallMs);
        const ev = mean(r.eventWriteMs);
        return [
          offersCell(r),
          fmt(whole),
          fmt(plan, 2),
          `${fmt(mean(r.events), 2)} / ${fmt(mean(r.eventWrites), 2)}`,
          fmt(ev),
          fmt(whole - plan - ev),
          `${fmtInt(r.insertedNow)} in ${fmt(r.insertSeconds, 1)} s`,
          fmtInt(r.supplierOrgs),
        ];
      }),
    ),
  );

  if (Number.isFinite(coverageMs)) {
    console.log(
      `\nOne coverage computation (\`computeCoverage\`: three collection scans, which the service reruns after changes while coordinators are connected) took ${fmt(coverageMs, 0)} ms at ${fmtInt(coverageAt)} offers.`,
    );
  }
  const partial = results.filter((r) => r.note).map((r) => `- ${fmtInt(r.requested)} offers: ${r.note}.`);
  const fewer = results.filter((r) => r.posted < demandCount).map((r) => `- ${fmtInt(r.requested)} offers: ${r.posted} of ${demandCount} demands posted in the time this size could use.`);
  fewer.push(...skipped.map((n) => `- ${n}.`));
  const missing = sizes.filter((z) => !results.some((r) => r.requested === z) && !skipped.some((n) => n.startsWith(`${fmtInt(z)} offers:`)));
  if (missing.length) fewer.push(`- not measured: ${missing.map(fmtInt).join(', ')} offers (the run's hard time limit came first).`);
  console.log(
    [
      '',
      'Notes:',
      '- Wall-clock times on a small, shared machine; compare ratios within one run, not absolute numbers across runs.',
      '- One database grows size after size (offers of one scenario, suppliers in a seeded random order); each size gets a fresh instance whose view is loaded from the database ("view load"), and the previous size\'s demands and proposals are closed first.',
      '- "candidate offers": open offers that make the demand\'s category or can convert to it, which planning evaluates one by one.',
      '- The pure planning step runs on the live view under a temporary demand id right before the real call, and its reservations are undone at once; "plans agree" counts demands whose stored proposals equal that plan.',
      '- Event log writes: the outermost append/appendMany calls of one createDemand (demand:updated and its match:proposed events), timed from call to durable; "events" counts the events they stored.',
      ...partial,
      ...fewer,
    ].join('\n'),
  );
}

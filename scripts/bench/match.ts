/**
 * Benchmark: time from a new demand to its committed proposals, with 10k, 50k and 100k open offers.
 *
 *   npx tsx scripts/bench/match.ts [--sizes 10000,50000,100000] [--demands 200] [--warmup 20] [--seed 2020] [--budget 285]
 *
 * One database (embedded FerretDB in a fresh temporary folder, or a scratch database of MONGODB_URI) and
 * one set of services over it (`createServices(config).open()`, no HTTP). For each size, smallest first:
 *   1. grows the open offers to that size through the ledger: supplier organizations inserted and
 *      remembered, then one `ledger.submit` per 5,000 offers emitting `offer:updated` events
 *      (`emitOffer(tx, newOffer(...))`); the offers come from one large demo-like scenario, suppliers in a
 *      seeded random order, so every size is a representative sample and a larger one extends the smaller;
 *      then waits for the projector to write them (`projector.idle()`), so projection does not run under
 *      the measurement;
 *   2. posts the size's demands one at a time, each as one command doing what `postDemand` does
 *      (`newDemand`, `emitDemand`, `matchDemand`) and timed from `ledger.submit` until it resolves, i.e.
 *      until the demand and its proposals are durable in the Event log. The projector writes them behind,
 *      as in the service. The first `--warmup` demands of each size are not counted;
 *   3. withdraws the size's demands and their proposals in one command, so the next size starts clean.
 *
 * Prints markdown tables with this machine's numbers and a one-line summary; asserts nothing about timings.
 */
import { MAX_UPDATE_STATEMENTS } from '../../server/ledger/projector';
import type { OrgInfo } from '../../server/ledger/state';
import { emitDemand, matchDemand, withdrawPending } from '../../server/matching/matching.service';
import { newDemand } from '../../server/postings/postings.service';
import { buildScenario, type ScenarioOffer } from '../../server/demo/scenario';
import type { Services } from '../../server/index';
import { fmt, fmtInt, machineLine, markdownTable, mean, parseArgs, positiveInt, runBench, secondsLeft, summary } from './common';
import { demandInput, openBenchDb, openServices, seedOffers, seedOrgs, shuffled } from './ledger-seed';

const USAGE = `Usage: npx tsx scripts/bench/match.ts [--sizes 10000,50000,100000] [--demands 200] [--warmup 20] [--seed 2020] [--budget 285]
  --sizes    open offers to measure with, comma-separated (one database, grown size after size)
  --demands  demands posted one at a time at each size (measured)
  --warmup   demands posted first at each size and not counted
  --seed     scenario seed (same seed, same offers and demands)
  --budget   seconds the run may take; a size's demands stop early when its share is used up (said so)`;

const args = parseArgs(process.argv.slice(2), { sizes: '10000,50000,100000', demands: '200', warmup: '20', seed: '2020', budget: '285' }, USAGE);
const sizes = [...new Set(args.sizes.split(',').map((s) => positiveInt('sizes', s.trim())))].sort((a, b) => a - b);
const demandCount = positiveInt('demands', args.demands);
const warmup = Number(args.warmup) >= 0 ? Math.floor(Number(args.warmup)) : 20;
const seed = positiveInt('seed', args.seed);
const budgetSeconds = positiveInt('budget', args.budget);
const OFFERS_PER_SUPPLIER = 1.5; // as in the demo scenario (220 suppliers, 330 offers)
const TARGET_P99_MS = 20;

const progress = (m: string) => console.error(`[match] ${m}`);

interface SizeResult {
  requested: number;
  offers: number;
  openOffers: number;
  seedSeconds: number;
  projectSeconds: number;
  posted: number;
  /** submit → resolved (durable), ms */
  totalMs: number[];
  /** submit → the command starts running (group commit tick, other work on the chain) */
  waitMs: number[];
  /** the command's run: newDemand + emitDemand + matchDemand, in memory */
  runMs: number[];
  /** matchDemand alone (planning + proposing) */
  planMs: number[];
  /** the rest: the append (one insertMany of the batch's events) and the answer */
  appendMs: number[];
  candidates: number[];
  proposals: number[];
  note: string;
}

const results: SizeResult[] = [];
let dbDescription = '';
let maxStatements = 0;
let reported = false;

/** Posts demands one at a time as commands, timing each; stops at `deadline` (ms since epoch). */
async function postDemands(services: Services, demands: ReturnType<typeof buildScenario>['demands'], orgs: Map<string, OrgInfo>, deadline: number, r: SizeResult, posted: string[]) {
  const { ledger } = services;
  for (const [k, d] of demands.entries()) {
    if (Date.now() > deadline) break;
    const counted = k >= warmup;
    const org = orgs.get(d.orgKey)!;
    const input = demandInput(d);
    const candidates = ledger.state.offersServing(d.category, Date.now()).length;
    let started = 0;
    let ran = 0;
    let planned = 0;
    let proposals = 0;
    const t = performance.now();
    const id = await ledger.submit((tx) => {
      started = performance.now();
      const demand = newDemand(tx, org, input);
      emitDemand(tx, demand);
      const tp = performance.now();
      proposals = matchDemand(tx, demand.id);
      planned = performance.now() - tp;
      ran = performance.now() - started;
      return demand.id;
    });
    const total = performance.now() - t;
    posted.push(id);
    if (!counted) continue;
    r.totalMs.push(total);
    r.waitMs.push(started - t);
    r.runMs.push(ran);
    r.planMs.push(planned);
    r.appendMs.push(total - (started - t) - ran);
    r.candidates.push(candidates);
    r.proposals.push(proposals);
    r.posted++;
  }
}

runBench(
  'bench:match',
  budgetSeconds + 90,
  async () => {
    const started = Date.now();
    const largest = sizes[sizes.length - 1];
    const db = await openBenchDb('match');
    dbDescription = db.description;
    const { services } = await openServices(db.config);

    const tg = performance.now();
    const now = new Date();
    const scenario = buildScenario({
      seed,
      now,
      suppliers: Math.max(220, Math.round(largest / OFFERS_PER_SUPPLIER)),
      buyers: 110,
      offers: largest,
      demands: (demandCount + warmup) * sizes.length,
    });
    const offersOf = new Map<string, ScenarioOffer[]>();
    for (const o of scenario.offers) {
      const list = offersOf.get(o.orgKey);
      if (list) list.push(o);
      else offersOf.set(o.orgKey, [o]);
    }
    const offers = shuffled([...offersOf.keys()], seed).flatMap((k) => offersOf.get(k)!);
    const orgByKey = new Map(scenario.organizations.map((o) => [o.key, o]));
    const orgs = new Map<string, OrgInfo>();
    await seedOrgs(services, scenario.organizations.filter((o) => o.role === 'buyer'), orgs);
    progress(`scenario of ${fmtInt(offers.length)} offers and ${fmtInt(scenario.demands.length)} demands generated in ${fmt(performance.now() - tg, 0)} ms`);

    let inserted = 0;
    for (const [i, size] of sizes.entries()) {
      const label = `[${fmtInt(size)} offers]`;
      // 1. grow the offers through the ledger, then let the projector write them
      const ts = performance.now();
      const batch = offers.slice(inserted, size);
      await seedOrgs(services, [...new Set(batch.map((o) => o.orgKey))].map((k) => orgByKey.get(k)!), orgs);
      await seedOffers(services, batch, orgs);
      inserted = Math.max(inserted, size);
      const seedSeconds = (performance.now() - ts) / 1000;
      const tp = performance.now();
      await services.projector.idle();
      const projectSeconds = (performance.now() - tp) / 1000;
      const openOffers = services.ledger.state.openOffers(Date.now()).length;
      progress(`${label} ${fmtInt(batch.length)} offers committed in ${fmt(seedSeconds, 1)} s, projected in ${fmt(projectSeconds, 1)} s; ${fmtInt(openOffers)} open`);

      // 2. demands, with this size's share of the time left (the larger sizes get more)
      const left = secondsLeft(started, budgetSeconds) - 10;
      const weights = sizes.slice(i).map((z) => 1 + z / 50_000);
      const share = (left * weights[0]) / weights.reduce((a, b) => a + b, 0);
      const r: SizeResult = {
        requested: size,
        offers: inserted,
        openOffers,
        seedSeconds,
        projectSeconds,
        posted: 0,
        totalMs: [],
        waitMs: [],
        runMs: [],
        planMs: [],
        appendMs: [],
        candidates: [],
        proposals: [],
        note: '',
      };
      results.push(r);
      const demands = scenario.demands.slice(i * (demandCount + warmup), (i + 1) * (demandCount + warmup));
      const posted: string[] = [];
      const tq = performance.now();
      await postDemands(services, demands, orgs, Date.now() + Math.max(5, share) * 1000, r, posted);
      if (r.posted < demandCount) r.note = `${r.posted} of ${demandCount} demands posted in the ${fmt(Math.max(5, share), 0)} s this size could use`;
      const s = summary(r.totalMs);
      progress(`${label} ${r.posted} demands in ${fmt((performance.now() - tq) / 1000, 1)} s: p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms`);

      // 3. the next size starts from offers only
      await services.ledger.submit((tx) => {
        for (const id of posted) {
          const d = tx.state.demands.get(id);
          if (!d || d.status !== 'open') continue;
          withdrawPending(tx, { demandId: id }, 'benchmark size done');
          emitDemand(tx, { ...d, status: 'withdrawn', version: d.version + 1, updatedAt: new Date(tx.now).toISOString() });
        }
      });
      await services.projector.idle();
    }
    maxStatements = services.projector.maxStatementsSent;
    report();
  },
  { onHardLimit: () => report() },
);

function report() {
  if (reported) return;
  reported = true;
  console.log('## Matching: a new demand to its committed proposals\n');
  console.log(`Machine: ${machineLine()}.`);
  console.log(`Database: ${dbDescription}. Seed ${seed}; ${demandCount} measured demands per size after ${warmup} warm-up ones; budget ${budgetSeconds} s.\n`);
  console.log(
    markdownTable(
      ['open offers', 'demands', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)', 'mean candidate offers', 'mean proposals', 'offers seeded (s)', 'projected (s)'],
      results.map((r) => {
        const s = summary(r.totalMs);
        return [fmtInt(r.openOffers), fmtInt(r.posted), fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max), fmt(mean(r.candidates), 0), fmt(mean(r.proposals), 2), fmt(r.seedSeconds, 1), fmt(r.projectSeconds, 1)];
      }),
    ),
  );
  console.log('\n### Where the time goes (ms per demand: p50 / p99)\n');
  console.log(
    markdownTable(
      ['open offers', 'submit → command runs', 'command (in memory)', 'of which matchDemand', 'append + answer', 'total'],
      results.map((r) => {
        const pair = (xs: number[]) => `${fmt(summary(xs).p50, 2)} / ${fmt(summary(xs).p99, 2)}`;
        return [fmtInt(r.openOffers), pair(r.waitMs), pair(r.runMs), pair(r.planMs), pair(r.appendMs), pair(r.totalMs)];
      }),
    ),
  );
  const notes = results.filter((r) => r.note).map((r) => `- ${fmtInt(r.requested)} offers: ${r.note}.`);
  const missing = sizes.filter((z) => !results.some((r) => r.requested === z));
  if (missing.length) notes.push(`- not measured: ${missing.map(fmtInt).join(', ')} offers (the hard time limit came first).`);
  console.log(
    [
      '',
      'Notes:',
      '- Timed from `ledger.submit` until it resolves: the demand and its proposals are durable in the Event log (one insertMany of the batch); the projector writes the collections behind.',
      '- Each demand is one command doing what `postDemand` does (`newDemand`, `emitDemand`, `matchDemand`); demands are posted one at a time, so each batch holds one command.',
      '- "candidate offers": open offers that make the demand\'s category or can convert to it, which planning evaluates one by one.',
      `- Largest update command the projector sent: ${maxStatements} statements (limit ${MAX_UPDATE_STATEMENTS}).`,
      '- Wall-clock times on a small, shared machine; compare within one run.',
      ...notes,
    ].join('\n'),
  );
  const last = results[results.length - 1];
  if (last) {
    const p99 = summary(last.totalMs).p99;
    console.log(
      `\nSummary: bench:match p99 new demand → committed proposals at ${fmtInt(last.openOffers)} open offers = ${fmt(p99)} ms (target ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS ? 'met' : 'not met'}); ` +
        results.map((r) => `${fmtInt(r.openOffers)}: p50 ${fmt(summary(r.totalMs).p50)} / p99 ${fmt(summary(r.totalMs).p99)} ms`).join(', '),
    );
  }
}

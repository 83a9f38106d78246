/**
 * Benchmark: start-up time with 100k offers and 100k demands.
 *
 *   npx tsx scripts/bench/startup.ts [--offers 100000] [--demands 100000] [--lag 10000] [--full-replay yes]
 *                                    [--start-timeout 150] [--replay-timeout 40] [--seed 2020] [--budget 420]
 *
 * On a fresh database (embedded FerretDB in a temporary folder, or a scratch database of MONGODB_URI):
 *   1. seeds the postings through the ledger: organizations inserted and remembered, then one
 *      `ledger.submit` per 5,000 postings (`emitOffer(tx, newOffer(...))`, `emitDemand(tx, newDemand(...))`,
 *      no matching); waits for the projector (`projector.idle()`), so the checkpoint is the end of the log;
 *   2. "projections caught up": a fresh process runs `createServices(config).open()` (loads the
 *      projections, replays the log after the checkpoint: nothing);
 *   3. "projections lagging": a checkpoint `--lag` events behind is written (as an instance whose projector
 *      fell behind leaves it; start-up replays from the lowest), and a fresh process opens
 *      again (it loads the projections and replays those events; the documents are already ahead, so
 *      applying them is skipped: this measures reading the log tail);
 *   4. with `--full-replay yes`, "whole log replayed": a fresh process with a bare `Ledger`, the
 *      organizations remembered and nothing else loaded, replays the whole log (`ledger.catchUp()`).
 * Each start runs in its own process connected to the same database, timed from the call until it
 * resolves; a start that takes longer than its timeout (`--start-timeout` for the caught-up start,
 * `--replay-timeout` for the two that read the log) is killed and reported as such. At full size the run
 * takes about 6 to 7 minutes on a 2-core machine: seeding 200k postings through the ledger alone takes
 * about 3 (use smaller --offers/--demands while developing).
 * Also printed: the cost of one Event log look-up by `_id` at this log size, past its end (what every
 * `readAhead` pays per event it reads and once more to find the end of the log). Prints markdown tables and a one-line
 * summary; asserts nothing about timings (the target is ≤ 10 s), only that a start sees every posting.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import mongoose from 'mongoose';
import { EventModel, eventKey } from '../../models/event.model';
import { OrganizationModel } from '../../models/organization.model';
import { SettingModel } from '../../models/setting.model';
import { loadConfig } from '../../server/config';
import { connectDatabase, disconnectDatabase } from '../../server/db/database';
import { createServices } from '../../server/index';
import { Ledger } from '../../server/ledger/ledger';
import { MAX_UPDATE_STATEMENTS, readCheckpoint } from '../../server/ledger/projector';
import type { OrgInfo } from '../../server/ledger/state';
import { buildScenario } from '../../server/demo/scenario';
import { benchEnv, fmt, fmtInt, machineLine, markdownTable, onCleanup, parseArgs, positiveInt, repoRoot, runBench, secondsLeft } from './common';
import { openBenchDb, openServices, seedDemands, seedOffers, seedOrgs } from './ledger-seed';

/** A checkpoint of a made-up instance (the projector keeps one per instance, `projection:<id>`, and start-up replays from the lowest). */
const LAGGING_CHECKPOINT = 'projection:bench-lagging-instance';

const USAGE = `Usage: npx tsx scripts/bench/startup.ts [--offers 100000] [--demands 100000] [--lag 10000] [--full-replay yes] [--start-timeout 150] [--replay-timeout 40] [--seed 2020] [--budget 420]
  --offers, --demands  postings in the database
  --lag                events the checkpoint is written back by for the "projections lagging" start
  --full-replay        yes|no: also time replaying the whole Event log without projections
  --start-timeout      seconds the caught-up start may take before it is killed and reported as not finished
  --replay-timeout     the same for the lagging start and the whole-log replay (they read the log by _id)
  --budget             seconds the run may take (hard limit: budget + 60)`;

/** A child process measuring one start: `--child open|replay --uri <uri>`; prints one JSON line. */
async function child(mode: string, uri: string) {
  const config = loadConfig(benchEnv('/nonexistent', { MONGODB_URI: uri }));
  await connectDatabase(uri, { timeoutMs: 20_000 });
  const t = performance.now();
  let out: Record<string, unknown>;
  if (mode === 'open') {
    const services = createServices(config);
    const loaded = await services.open();
    out = { ...loaded, wallMs: performance.now() - t, offers: services.ledger.state.offers.size, demands: services.ledger.state.demands.size, lastSeq: services.ledger.lastSeq() };
  } else {
    const ledger = new Ledger();
    const orgs = await OrganizationModel.collection.find({}).toArray();
    for (const o of orgs) ledger.rememberOrg(o as never);
    const replayed = await ledger.catchUp();
    const wallMs = performance.now() - t;
    out = { documents: orgs.length, replayed, ms: Math.round(wallMs), wallMs, offers: ledger.state.offers.size, demands: ledger.state.demands.size, lastSeq: ledger.lastSeq() };
  }
  out.heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(`RESULT ${JSON.stringify(out)}`);
  await disconnectDatabase().catch(() => undefined);
  process.exit(0);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  void child(process.argv[childAt + 1], process.argv[process.argv.indexOf('--uri') + 1]).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main();
}

interface StartRow {
  label: string;
  documents: number;
  replayed: number;
  ms: number;
  wallMs: number;
  offers: number;
  demands: number;
  lastSeq: number;
  heapMiB: number;
  /** Set when the start did not finish within the timeout. */
  killedAfter?: number;
}

function main() {
  const args = parseArgs(
    process.argv.slice(2),
    { offers: '100000', demands: '100000', lag: '10000', 'full-replay': 'yes', 'start-timeout': '150', 'replay-timeout': '40', seed: '2020', budget: '420' },
    USAGE,
  );
  const offerCount = positiveInt('offers', args.offers);
  const demandCount = positiveInt('demands', args.demands);
  const fullReplay = args['full-replay'] !== 'no';
  const startTimeout = positiveInt('start-timeout', args['start-timeout']);
  const replayTimeout = positiveInt('replay-timeout', args['replay-timeout']);
  const seed = positiveInt('seed', args.seed);
  const budgetSeconds = positiveInt('budget', args.budget);
  const TARGET_MS = 10_000;
  const progress = (m: string) => console.error(`[startup] ${m}`);

  const rows: StartRow[] = [];
  const seeding: string[][] = [];
  const problems: string[] = [];
  let dbDescription = '';
  let maxStatements = 0;
  let lag = 0;
  let logSize = 0;
  let lookupMs = NaN;
  let reported = false;

  /** Runs one start in a child process (killed after `timeoutS`). */
  const measure = (label: string, mode: 'open' | 'replay', uri: string, timeoutS: number, expectSeq: number) =>
    new Promise<StartRow>((resolve, reject) => {
      const proc = fork(fileURLToPath(import.meta.url), ['--child', mode, '--uri', uri], {
        cwd: repoRoot,
        execArgv: ['--import', 'tsx', '--max-old-space-size=4096'],
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      const kill = () => proc.kill('SIGKILL');
      const unregister = onCleanup(`kill the ${label} start`, async () => void kill());
      let out = '';
      let err = '';
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-3000)));
      const started = performance.now();
      const timer = setTimeout(kill, timeoutS * 1000);
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        unregister();
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) {
          if (signal === 'SIGKILL') {
            const row: StartRow = { label, documents: NaN, replayed: NaN, ms: NaN, wallMs: NaN, offers: NaN, demands: NaN, lastSeq: NaN, heapMiB: NaN, killedAfter: (performance.now() - started) / 1000 };
            rows.push(row);
            progress(`${label}: not finished after ${fmt(row.killedAfter!, 0)} s; killed`);
            return resolve(row);
          }
          return reject(new Error(`${label}: the child exited with ${code ?? signal}:\n${err}`));
        }
        const r = JSON.parse(line.slice(7)) as Omit<StartRow, 'label'>;
        const row: StartRow = { label, ...r };
        rows.push(row);
        if (row.offers !== offerCount || row.demands !== demandCount) problems.push(`${label}: the state holds ${row.offers} offers and ${row.demands} demands, expected ${offerCount} and ${demandCount}`);
        if (row.lastSeq !== expectSeq) problems.push(`${label}: the log position after start-up is ${row.lastSeq}, the log ends at ${expectSeq}`);
        progress(`${label}: ${fmtInt(row.documents)} documents, ${fmtInt(row.replayed)} events replayed in ${fmtInt(row.ms)} ms`);
        resolve(row);
      });
    });

  const report = () => {
    if (reported) return;
    reported = true;
    console.log('## Start-up: loading the projections and replaying the Event log\n');
    console.log(`Machine: ${machineLine()}.`);
    console.log(`Database: ${dbDescription}. ${fmtInt(offerCount)} offers, ${fmtInt(demandCount)} demands (seed ${seed}); Event log of ${fmtInt(logSize)} events. Each start in a fresh process.\n`);
    console.log(
      markdownTable(
        ['start', 'documents loaded', 'events replayed', 'ms', 'offers in state', 'demands in state', 'heap after (MiB)'],
        rows.map((r) =>
          r.killedAfter !== undefined
            ? [r.label, 'n/a', 'n/a', `> ${fmtInt(r.killedAfter * 1000)} (killed)`, 'n/a', 'n/a', 'n/a']
            : [r.label, fmtInt(r.documents), fmtInt(r.replayed), fmtInt(r.ms), fmtInt(r.offers), fmtInt(r.demands), fmtInt(r.heapMiB)],
        ),
      ),
    );
    console.log('\n### Seeding (not start-up; for scale)\n');
    console.log(markdownTable(['step', 'items', 'seconds'], seeding));
    console.log(
      [
        '',
        'Notes:',
        '- "documents loaded" and "ms" are what `open()` returns (offers, demands, matches and organizations read from their collections; its own timing); "events replayed": Event log entries applied after the projection checkpoint.',
        `- "projections lagging": one instance's checkpoint ${fmtInt(lag)} events behind the log (start-up replays from the lowest); the documents are already at those events, so the replay reads them and skips applying them.`,
        '- The whole-log row loads only the organizations (as `loadLedger` does first) and replays every event with `ledger.catchUp()`: what a start costs without projections.',
        `- One Event log look-up by \`_id\` past the end of a ${fmtInt(logSize)}-event log: ${fmt(lookupMs, 0)} ms (\`readAhead\` pays one per event it reads, in rounds of up to 64 in parallel, and one more to find the end of the log).`,
        `- Largest update command the projector sent while seeding: ${maxStatements} statements (limit ${MAX_UPDATE_STATEMENTS}).`,
        ...problems.map((p) => `- PROBLEM: ${p}`),
      ].join('\n'),
    );
    const measured = rows.filter((r) => !r.label.startsWith('whole log'));
    const worst = measured.reduce((m, r) => Math.max(m, r.killedAfter !== undefined ? Infinity : r.ms), 0);
    console.log(
      `\nSummary: bench:startup with ${fmtInt(offerCount)} offers + ${fmtInt(demandCount)} demands: ` +
        rows.map((r) => `${r.label} ${r.killedAfter !== undefined ? `> ${fmt(r.killedAfter, 0)} s (killed)` : `${fmt(r.ms / 1000, 2)} s`}`).join(', ') +
        ` (target ≤ ${TARGET_MS / 1000} s: ${measured.length && worst <= TARGET_MS ? 'met' : 'not met'}); largest projector update ${maxStatements} statements; ${problems.length ? `${problems.length} problems` : 'every finished start saw every posting'}`,
    );
  };

  runBench(
    'bench:startup',
    budgetSeconds + 60,
    async () => {
      const started = Date.now();
      const db = await openBenchDb('startup');
      dbDescription = db.description;
      const { services: seeder } = await openServices(db.config, 'seeding services');

      const tg = performance.now();
      const scenario = buildScenario({
        seed,
        now: new Date(),
        suppliers: Math.max(220, Math.round(offerCount / 1.5)),
        buyers: Math.max(110, Math.round(demandCount / 100)), // the generator picks a buyer per demand by a scan over all of them
        offers: offerCount,
        demands: demandCount,
      });
      progress(`scenario generated in ${fmt(performance.now() - tg, 0)} ms`);
      const orgs = new Map<string, OrgInfo>();
      let t = performance.now();
      const orgCount = await seedOrgs(seeder, scenario.organizations, orgs);
      seeding.push(['organizations (insertMany + rememberOrg)', fmtInt(orgCount), fmt((performance.now() - t) / 1000, 1)]);
      t = performance.now();
      await seedOffers(seeder, scenario.offers, orgs);
      seeding.push(['offers committed (ledger.submit, 5,000 per command)', fmtInt(offerCount), fmt((performance.now() - t) / 1000, 1)]);
      progress(`${fmtInt(offerCount)} offers committed in ${fmt((performance.now() - t) / 1000, 1)} s`);
      t = performance.now();
      await seedDemands(seeder, scenario.demands, orgs);
      seeding.push(['demands committed (ledger.submit, 5,000 per command)', fmtInt(demandCount), fmt((performance.now() - t) / 1000, 1)]);
      progress(`${fmtInt(demandCount)} demands committed in ${fmt((performance.now() - t) / 1000, 1)} s`);
      t = performance.now();
      await seeder.projector.idle();
      seeding.push(['projected (projector.idle())', fmtInt(offerCount + demandCount), fmt((performance.now() - t) / 1000, 1)]);
      progress(`projected in ${fmt((performance.now() - t) / 1000, 1)} s`);
      maxStatements = seeder.projector.maxStatementsSent;
      logSize = seeder.ledger.lastSeq();
      await seeder.ledger.close();
      seeder.ledger.state.offers.clear(); // the memory goes before the measured starts
      seeder.ledger.state.demands.clear();
      const checkpoint = await readCheckpoint();
      if (checkpoint !== logSize) problems.push(`after projector.idle() the checkpoint is ${checkpoint}, the log ends at ${logSize}`);
      const tl = performance.now();
      await EventModel.collection.findOne({ _id: eventKey(logSize + 1) } as never);
      lookupMs = performance.now() - tl;
      progress(`one _id look-up past the end of the log: ${fmt(lookupMs, 0)} ms`);

      const timeout = (limit: number) => Math.max(20, Math.min(limit, secondsLeft(started, budgetSeconds) - 10));
      await measure('projections caught up', 'open', db.uri, timeout(startTimeout), logSize);
      lag = Math.min(Number(args.lag) || 0, logSize);
      // a checkpoint lagging behind, as an instance whose projector fell behind leaves it (start-up takes the lowest)
      await SettingModel.collection.replaceOne({ _id: LAGGING_CHECKPOINT } as never, { value: logSize - lag, at: new Date() }, { upsert: true });
      await measure(`projections lagging by ${fmtInt(lag)} events`, 'open', db.uri, timeout(replayTimeout), logSize);
      await SettingModel.collection.deleteOne({ _id: LAGGING_CHECKPOINT } as never);
      if (fullReplay) await measure('whole log replayed, no projections (bare Ledger)', 'replay', db.uri, timeout(replayTimeout), logSize);
      void mongoose;
      report();
      if (problems.length) throw new Error(`${problems.length} problems (see above)`);
    },
    { onHardLimit: () => report() },
  );
}

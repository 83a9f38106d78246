/**
 * Live re-planning benchmark: a stream of postings arrives in order (the demo scenario, and a larger generated
 * one); after each event the standing proposals' priority-weighted units are compared with the offline optimum
 * at that moment (the same global solver, from scratch) and with first-come greedy (the planner without
 * priority re-planning), and the time each event takes is recorded.
 *
 *   npx tsx scripts/bench/replan.ts [--sizes 330,3000] [--every 1] [--component-max N] [--near-demands N]
 *     [--near-offers N] [--changes N]
 *
 * It runs the ledger's state machine itself — the same command functions the service commits, applied to an
 * in-memory LedgerState — without the database: what it measures is the planning, not storage (bench:load
 * and bench:match measure the commit path). `--every N` computes the optimum every N events (it is the slow
 * part); the ratio columns cover the events where it was computed. The other options set `replanLimits`
 * (`--component-max 0` re-solves only the neighbourhood of each change, as in a market too large to re-solve
 * whole). The last column counts the churn: proposals made, resized and withdrawn while the stream arrived.
 */
import { buildScenario } from '../../server/demo/scenario';
import { bareLedger } from '../../server/ledger/bare';
import { emitDemand, emitOffer, matchDemand, matchOffer, optimumFromScratch, propose, replanLimits, standingWeight } from '../../server/matching/matching.service';
import { planForDemand, planForOffer, planGlobal } from '../../server/matching/planner';
import { newDemand, newOffer } from '../../server/postings/postings.service';
import { recordStep } from '../../server/trust/trust.service';
import { benchVerified } from './common';

function arg(name: string, fallback: string) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function run(size: number, every: number) {
  const now = Date.now();
  const scale = size / 330;
  const scenario = buildScenario({
    seed: 2020,
    now: new Date(now),
    suppliers: Math.max(10, Math.round(220 * scale)),
    buyers: Math.max(5, Math.round(110 * scale)),
    offers: size,
    demands: size,
  });
  const live = bareLedger(now);
  const greedy = bareLedger(now);
  for (const m of [live, greedy]) {
    scenario.organizations.forEach((o) => {
      m.state.orgs.set(o.key, { id: o.key, name: o.name, kind: o.role, region: o.region, location: o.location, certifications: o.certifications, stats: { confirmed: 0, delivered: 0, cancelled: 0, lapsed: 0 }, statsSeq: 0 } as never);
      // every certificate verified, as a coordinator would after checking the evidence
      const tx = m.tx();
      for (const c of o.role === 'supplier' ? o.certifications : []) {
        recordStep(tx, m.state.orgs.get(o.key)!, c, benchVerified(c, now));
      }
    });
  }
  // the stream: offers and demands interleaved in the scenario's order
  const stream: ({ kind: 'offer'; i: number } | { kind: 'demand'; i: number })[] = [];
  for (let i = 0; i < Math.max(scenario.offers.length, scenario.demands.length); i++) {
    if (i < scenario.offers.length) stream.push({ kind: 'offer', i });
    if (i < scenario.demands.length) stream.push({ kind: 'demand', i });
  }
  const latencies: number[] = [];
  const bounds: number[] = [];
  const vsOptimum: number[] = [];
  const greedyVsOptimum: number[] = [];
  let worst = { ratio: Infinity, event: -1 };
  stream.forEach((ev, k) => {
    const t0 = performance.now();
    {
      const tx = live.tx();
      if (ev.kind === 'offer') {
        const o = scenario.offers[ev.i];
        const offer = newOffer(tx, live.state.orgs.get(o.orgKey)!, o as never);
        emitOffer(tx, offer);
        matchOffer(tx, offer.id);
      } else {
        const d = scenario.demands[ev.i];
        const demand = newDemand(tx, live.state.orgs.get(d.orgKey)!, d as never);
        emitDemand(tx, demand);
        matchDemand(tx, demand.id);
      }
    }
    latencies.push(performance.now() - t0);
    if ((k + 1) % 500 === 0) process.stderr.write(`  ${size}: ${k + 1} / ${stream.length} events\n`);
    {
      // first-come greedy: the same planner, without priority re-planning
      const tx = greedy.tx();
      if (ev.kind === 'offer') {
        const o = scenario.offers[ev.i];
        const offer = newOffer(tx, greedy.state.orgs.get(o.orgKey)!, o as never);
        emitOffer(tx, offer);
        planForOffer(greedy.state, offer.id, now, (p) => propose(tx, p, 'incremental'));
      } else {
        const d = scenario.demands[ev.i];
        const demand = newDemand(tx, greedy.state.orgs.get(d.orgKey)!, d as never);
        emitDemand(tx, demand);
        planForDemand(greedy.state, demand.id, now, (p) => propose(tx, p, 'incremental'));
      }
    }
    if ((k + 1) % every === 0 || k === stream.length - 1) {
      const counted = new Map(live.emitted);
      const optimum = optimumFromScratch(live.tx());
      // the optimum's events are rolled back: they are not live churn
      live.emitted.clear();
      for (const [k, v] of counted) live.emitted.set(k, v);
      bounds.push(planGlobal(live.state, now).weightedUnits / Math.max(1, optimum));
      if (optimum > 0) {
        const r = standingWeight(live.state) / optimum;
        vsOptimum.push(r);
        greedyVsOptimum.push(standingWeight(greedy.state) / optimum);
        if (r < worst.ratio) worst = { ratio: r, event: k + 1 };
      }
    }
  });
  const openPostings = [...live.state.offers.values()].filter((o) => o.status === 'open').length + [...live.state.demands.values()].filter((d) => d.status === 'open').length;
  const largest = Math.max(...[...new Set(live.state.openDemands(now).map((d) => d.category))].map((c) => { const x = live.state.component([c], now); return x.offers.length + x.demands.length; }));
  const churn = { withdrawn: live.emitted.get('match:updated:withdrawn') ?? 0, resized: live.emitted.get('match:updated:proposed') ?? 0, proposed: live.emitted.get('match:proposed:proposed') ?? 0 };
  return { size, events: stream.length, openPostings, latencies, vsOptimum, greedyVsOptimum, worst, bounds, largest, churn };
}

const sizes = arg('sizes', '330,3000').split(',').map(Number);
replanLimits.componentMax = Number(arg('component-max', String(replanLimits.componentMax)));
replanLimits.demands = Number(arg('near-demands', String(replanLimits.demands)));
replanLimits.offers = Number(arg('near-offers', String(replanLimits.offers)));
replanLimits.changes = Number(arg('changes', String(replanLimits.changes)));
const every = Number(arg('every', '1'));
console.log(`bench:replan — live re-planning against the offline optimum after every ${every === 1 ? '' : `${every}th `}event (${new Date().toISOString()})`);
console.log(`Re-planning limits (replanLimits): a part of the market of up to ${replanLimits.componentMax} open postings is re-solved whole; above that, the neighbourhood of each change (up to ${replanLimits.demands} demands and ${replanLimits.offers} offers, ${replanLimits.changes} proposal changes per event).`);
console.log('');
console.log('| offers + demands | events | open postings at end | largest component | p50 ms/event | p99 ms/event | live / optimum: min | mean | events ≥ 99 % | greedy / optimum: min | mean | network bound / optimum: max | proposals made / resized / withdrawn |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const size of sizes) {
  const r = run(size, every);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const share99 = r.vsOptimum.filter((x) => x >= 0.99).length / Math.max(1, r.vsOptimum.length);
  console.log(
    `| ${size} + ${size} | ${r.events} | ${r.openPostings} | ${r.largest} | ${pct(r.latencies, 50).toFixed(2)} | ${pct(r.latencies, 99).toFixed(2)} | ${(100 * Math.min(...r.vsOptimum)).toFixed(1)} % | ${(100 * mean(r.vsOptimum)).toFixed(1)} % | ${(100 * share99).toFixed(0)} % | ${(100 * Math.min(...r.greedyVsOptimum)).toFixed(1)} % | ${(100 * mean(r.greedyVsOptimum)).toFixed(1)} % | ${(100 * Math.max(...r.bounds)).toFixed(1)} % | ${r.churn.proposed.toLocaleString('en-US')} / ${r.churn.resized.toLocaleString('en-US')} / ${r.churn.withdrawn.toLocaleString('en-US')} |`,
  );
}
console.log('');
console.log('Optimum: the global allocation run from scratch on the state after each event (every unaccepted proposal re-decided, exact on the time-expanded network of lines and days, proposals sized by the per-line check, as the coordinator\'s optimize does), then rolled back. Live: the service, which re-solves the part of the market each event touches (or its neighbourhood, above the limit). Greedy: the same planner, first come first served. Network bound: the solver\'s own objective, which counts a converted line\'s output in the line\'s own units and so can promise more than a line makes; its excess over the optimum is that gap.');

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import highsLoader from 'highs';
import {
  AllocationInstanceSchema,
  greedyAllocation,
  solveAllocation,
  solveAllocationArcs,
  WarmStart,
  type AllocationInstance,
  type AllocationResult,
} from '../../server/matching/allocation';
import { outputLeft } from '../../server/matching/capacity';

type Highs = Awaited<ReturnType<typeof highsLoader>>;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function instance(raw: unknown): AllocationInstance {
  return AllocationInstanceSchema.parse(raw);
}

/** Written out here rather than imported, so the oracle does not share the solver's idea of where an arc starts. */
function dayOfArc(problem: AllocationInstance, supplyId: string, demandId: string): number {
  const supply = problem.supplies.find((s) => s.id === supplyId)!;
  const demand = problem.demands.find((d) => d.id === demandId)!;
  const arc = problem.arcs.find((a) => a.supply === supplyId && a.demand === demandId)!;
  const due = arc.due ?? demand.due;
  if (!supply.days) return 0;
  return due === undefined ? supply.days.length - 1 : Math.min(due, supply.days.length - 1);
}

function term(coefficient: number, variable: string): string {
  return `${coefficient < 0 ? '-' : '+'} ${Math.abs(coefficient)} ${variable}`;
}

/**
 * Independent oracle: the full time-expanded network (one row per supply per day, holding variables
 * h_s_k from day k to k+1, no merging of buckets) as a two-phase LP solved by HiGHS.
 */
function lpOptimum(highs: Highs, problem: AllocationInstance): { weightedUnits: number; totalCost: number } {
  if (problem.arcs.length === 0) return { weightedUnits: 0, totalCost: 0 };
  const priority = new Map(problem.demands.map((demand) => [demand.id, demand.priority]));
  const x = problem.arcs.map((_, index) => `x${index}`);
  const weightTerms = problem.arcs.map((arc, index) => term(priority.get(arc.demand)!, x[index])).join(' ');
  const costTerms = problem.arcs.map((arc, index) => term(arc.cost, x[index])).join(' ');
  const rows: string[] = [];
  problem.supplies.forEach((supply, s) => {
    const horizon = supply.days?.length ?? 1;
    for (let k = 0; k < horizon; k++) {
      const terms = problem.arcs
        .map((arc, index) => (arc.supply === supply.id && dayOfArc(problem, arc.supply, arc.demand) === k ? `+ ${x[index]}` : ''))
        .filter(Boolean);
      if (k + 1 < horizon) terms.push(`+ h${s}_${k}`);
      if (k > 0) terms.push(`- h${s}_${k - 1}`);
      if (terms.length > 0) rows.push(` s${s}_${k}: ${terms.join(' ')} <= ${supply.days ? supply.days[k] : supply.units}`);
    }
  });
  problem.demands.forEach((demand, d) => {
    const terms = problem.arcs.map((arc, index) => (arc.demand === demand.id ? `+ ${x[index]}` : '')).filter(Boolean);
    if (terms.length > 0) rows.push(` d${d}: ${terms.join(' ')} <= ${demand.units}`);
  });
  const bounds = problem.arcs.map((arc, index) => ` 0 <= ${x[index]}${arc.limit === undefined ? '' : ` <= ${arc.limit}`}`);
  const model = (objective: string, extraRow: string) =>
    `${objective}\nSubject To\n${rows.join('\n')}\n${extraRow}Bounds\n${bounds.join('\n')}\nEnd\n`;
  const weightPhase = highs.solve(model(`Maximize\n obj: ${weightTerms}`, ''));
  expect(weightPhase.Status).to.equal('Optimal');
  const weightedUnits = Math.round(weightPhase.ObjectiveValue);
  const costPhase = highs.solve(model(`Minimize\n obj: ${costTerms}`, ` w: ${weightTerms} >= ${weightedUnits}\n`));
  expect(costPhase.Status).to.equal('Optimal');
  return { weightedUnits, totalCost: costPhase.ObjectiveValue };
}

/**
 * Feasibility checked the way capacity.ts counts a line: for every day k, what is due by k (flows on arcs
 * leaving from day <= k) is at most what the line makes by k. For one line this is exactly schedulable.
 */
function expectFeasible(problem: AllocationInstance, result: AllocationResult): void {
  const arcs = new Map(problem.arcs.map((arc) => [`${arc.supply}\u0000${arc.demand}`, arc]));
  const priority = new Map(problem.demands.map((demand) => [demand.id, demand.priority]));
  const received = new Map<string, number>();
  const dueBy = new Map<string, number[]>();
  let weightedUnits = 0;
  let unitsAllocated = 0;
  let totalCost = 0;
  for (const flow of result.flows) {
    const arc = arcs.get(`${flow.supply}\u0000${flow.demand}`);
    expect(arc, `flow ${flow.supply} -> ${flow.demand} uses a given arc`).to.not.equal(undefined);
    expect(Number.isInteger(flow.units) && flow.units > 0, 'flow units are positive integers').to.equal(true);
    if (arc?.limit !== undefined) expect(flow.units).to.be.at.most(arc.limit);
    received.set(flow.demand, (received.get(flow.demand) ?? 0) + flow.units);
    const supply = problem.supplies.find((s) => s.id === flow.supply)!;
    const perDay = dueBy.get(flow.supply) ?? new Array<number>(supply.days?.length ?? 1).fill(0);
    perDay[dayOfArc(problem, flow.supply, flow.demand)] += flow.units;
    dueBy.set(flow.supply, perDay);
    weightedUnits += priority.get(flow.demand)! * flow.units;
    unitsAllocated += flow.units;
    totalCost += arc!.cost * flow.units;
  }
  for (const supply of problem.supplies) {
    const perDay = dueBy.get(supply.id);
    if (!perDay) continue;
    const made = supply.days ?? [supply.units];
    let cumDue = 0;
    let cumMade = 0;
    for (let k = 0; k < made.length; k++) {
      cumDue += perDay[k];
      cumMade += made[k];
      expect(cumDue, `${supply.id}: due by day ${k} vs made by then`).to.be.at.most(cumMade);
    }
  }
  for (const demand of problem.demands) expect(received.get(demand.id) ?? 0).to.be.at.most(demand.units);
  expect(result.weightedUnits).to.equal(weightedUnits);
  expect(result.unitsAllocated).to.equal(unitsAllocated);
  expect(result.totalCost).to.be.closeTo(totalCost, 1e-6);
}

/** Feasible by due date, and the LP's optimum: the same weighted units and cost. */
function expectLpOptimum(highs: Highs, problem: AllocationInstance, result: AllocationResult) {
  expectFeasible(problem, result);
  const lp = lpOptimum(highs, problem);
  expect(result.weightedUnits).to.equal(lp.weightedUnits);
  expect(result.totalCost).to.be.closeTo(lp.totalCost, 1e-6 * Math.max(1, Math.abs(lp.totalCost)));
}

/** Lines with 1..6 day buckets (some with `units` spelled out, some untimed supplies), demands with or without a due day. */
const timedInstance = fc
  .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 6 }))
  .chain(([supplyCount, demandCount]) =>
    fc.record({
      supplies: fc.array(
        fc.oneof(
          { weight: 1, arbitrary: fc.record({ units: fc.integer({ min: 0, max: 20 }) }) },
          {
            weight: 4,
            arbitrary: fc.record({
              days: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8 })), { minLength: 1, maxLength: 6 }),
              spellUnits: fc.boolean(),
            }),
          },
        ),
        { minLength: supplyCount, maxLength: supplyCount },
      ),
      demands: fc.array(
        fc.record({
          units: fc.integer({ min: 0, max: 20 }),
          priority: fc.integer({ min: 1, max: 4 }),
          due: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined, freq: 4 }),
        }),
        { minLength: demandCount, maxLength: demandCount },
      ),
      arcs: fc.array(
        fc.option(
          fc.record({
            cost: fc.oneof(fc.integer({ min: -4, max: 12 }), fc.integer({ min: -100, max: 1000 }).map((c) => c / 100)),
            limit: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
            due: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined, freq: 3 }),
          }),
          { nil: null, freq: 3 },
        ),
        { minLength: supplyCount * demandCount, maxLength: supplyCount * demandCount },
      ),
    }),
  )
  .map(({ supplies, demands, arcs }) =>
    instance({
      supplies: supplies.map((supply, index) =>
        'units' in supply
          ? { id: `s${index}`, units: supply.units }
          : supply.spellUnits
            ? { id: `s${index}`, days: supply.days, units: supply.days.reduce((a, b) => a + b, 0) }
            : { id: `s${index}`, days: supply.days },
      ),
      demands: demands.map(({ units, priority, due }, index) =>
        due === undefined ? { id: `d${index}`, units, priority } : { id: `d${index}`, units, priority, due },
      ),
      arcs: arcs.flatMap((arc, index) => {
        if (arc === null) return [];
        const supply = `s${Math.floor(index / demands.length)}`;
        const demand = `d${index % demands.length}`;
        return [
          {
            supply,
            demand,
            cost: arc.cost,
            ...(arc.limit === undefined ? {} : { limit: arc.limit }),
            ...(arc.due === undefined ? {} : { due: arc.due }),
          },
        ];
      }),
    }),
  );

/** mulberry32, for the legacy-format instances whose results are pinned below. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Today's format: no days, no due. */
function legacyInstance(seed: number, supplyCount: number, demandCount: number, arcsPerDemand: number): AllocationInstance {
  const random = createRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const supplies = Array.from({ length: supplyCount }, (_, i) => ({ id: `s${i}`, units: int(0, 60) }));
  const demands = Array.from({ length: demandCount }, (_, i) => ({ id: `d${i}`, units: int(0, 50), priority: int(1, 3) }));
  const arcs = demands.flatMap((d) =>
    [...new Set(Array.from({ length: arcsPerDemand }, () => int(0, supplyCount - 1)))].map((s) => ({
      supply: `s${s}`,
      demand: d.id,
      cost: random() < 0.5 ? int(0, 9) : int(0, 5000) / 100,
      ...(random() < 0.3 ? { limit: int(0, 30) } : {}),
    })),
  );
  return instance({ supplies, demands, arcs });
}

describe('time-expanded allocation (production lines over days)', () => {
  let highs: Highs;

  before(async () => {
    highs = await highsLoader();
  });

  describe('hand-made instances', () => {
    it('when a line makes its output early, then it is held for a demand due later', () => {
      const problem = instance({
        supplies: [{ id: 'line', days: [6, 0, 0, 4] }],
        demands: [{ id: 'late', units: 10, priority: 1, due: 3 }],
        arcs: [{ supply: 'line', demand: 'late', cost: 2 }],
      });
      expect(solveAllocation(problem)).to.deep.equal({
        flows: [{ supply: 'line', demand: 'late', units: 10 }],
        weightedUnits: 10,
        unitsAllocated: 10,
        totalCost: 20,
      });
    });

    it('when a demand is due on day 2, then it cannot get output made on day 5, but an undated demand can', () => {
      const problem = instance({
        supplies: [{ id: 'line', days: [0, 0, 0, 0, 0, 9] }],
        demands: [
          { id: 'due-day-2', units: 9, priority: 3, due: 2 },
          { id: 'any-day', units: 9, priority: 1 },
        ],
        arcs: [
          { supply: 'line', demand: 'due-day-2', cost: 1 },
          { supply: 'line', demand: 'any-day', cost: 1 },
        ],
      });
      expect(solveAllocation(problem).flows).to.deep.equal([{ supply: 'line', demand: 'any-day', units: 9 }]);
      expect(greedyAllocation(problem).flows).to.deep.equal([{ supply: 'line', demand: 'any-day', units: 9 }]);
    });

    it('when an early and a late demand share a line, then the early one gets the early output and the late one the rest', () => {
      const problem = instance({
        supplies: [{ id: 'line', days: [5, 0, 0, 0, 0, 7] }],
        demands: [
          { id: 'early', units: 10, priority: 1, due: 2 },
          { id: 'late', units: 10, priority: 1, due: 9 },
        ],
        arcs: [
          { supply: 'line', demand: 'early', cost: 1 },
          { supply: 'line', demand: 'late', cost: 1 },
        ],
      });
      expect(solveAllocation(problem)).to.deep.equal({
        flows: [
          { supply: 'line', demand: 'early', units: 5 },
          { supply: 'line', demand: 'late', units: 7 },
        ],
        weightedUnits: 12,
        unitsAllocated: 12,
        totalCost: 12,
      });
    });

    it('when greedy lets an urgent late demand eat early output, then the optimum serves the late demand from the other line', () => {
      // Greedy serves 'late' (priority 3) first on its cheapest lane, a: day 3's 6 units, then day 0's 4,
      // which leaves 'early' (priority 2, due day 0) nothing. The optimum sends line b's day-3 output instead.
      const problem = instance({
        supplies: [
          { id: 'a', days: [4, 0, 0, 6] },
          { id: 'b', days: [0, 0, 0, 10] },
        ],
        demands: [
          { id: 'early', units: 4, priority: 2, due: 0 },
          { id: 'late', units: 10, priority: 3, due: 3 },
        ],
        arcs: [
          { supply: 'a', demand: 'early', cost: 5 },
          { supply: 'a', demand: 'late', cost: 1 },
          { supply: 'b', demand: 'late', cost: 3 },
        ],
      });
      const optimum = solveAllocation(problem);
      expect(optimum).to.deep.equal({
        flows: [
          { supply: 'a', demand: 'early', units: 4 },
          { supply: 'a', demand: 'late', units: 6 },
          { supply: 'b', demand: 'late', units: 4 },
        ],
        weightedUnits: 38,
        unitsAllocated: 14,
        totalCost: 38,
      });
      expect(greedyAllocation(problem)).to.include({ weightedUnits: 30, unitsAllocated: 10 });
    });

    it('when a demand is due after the last day of the line, then every day of the line can serve it', () => {
      const problem = instance({
        supplies: [{ id: 'line', days: [1, 2, 3] }],
        demands: [{ id: 'd', units: 100, priority: 1, due: 40 }],
        arcs: [{ supply: 'line', demand: 'd', cost: 0 }],
      });
      expect(solveAllocation(problem).unitsAllocated).to.equal(6);
    });

    it('when untimed supplies and dated lines mix, then the untimed supply serves every due date', () => {
      const problem = instance({
        supplies: [
          { id: 'stock', units: 3 },
          { id: 'line', days: [0, 0, 5] },
        ],
        demands: [{ id: 'd', units: 8, priority: 1, due: 0 }],
        arcs: [
          { supply: 'stock', demand: 'd', cost: 9 },
          { supply: 'line', demand: 'd', cost: 1 },
        ],
      });
      expect(solveAllocation(problem).flows).to.deep.equal([{ supply: 'stock', demand: 'd', units: 3 }]);
    });
  });

  describe('due day per lane', () => {
    it('when an arc carries its own due day (deadline minus that lane\'s transit), then it overrides the demand\'s', () => {
      // Both lines make 5 on day 3. The demand is due on day 5; from the far line the goods travel 3 days,
      // so that lane is due on day 2 and cannot use day 3's output.
      const problem = instance({
        supplies: [
          { id: 'near#1', days: [0, 0, 0, 5] },
          { id: 'far#1', days: [0, 0, 0, 5] },
        ],
        demands: [{ id: 'd', units: 10, priority: 1, due: 5 }],
        arcs: [
          { supply: 'near#1', demand: 'd', cost: 9 },
          { supply: 'far#1', demand: 'd', cost: 1, due: 2 },
        ],
      });
      expect(solveAllocation(problem).flows).to.deep.equal([{ supply: 'near#1', demand: 'd', units: 5 }]);
      expect(greedyAllocation(problem).flows).to.deep.equal([{ supply: 'near#1', demand: 'd', units: 5 }]);
      const sameDay = instance({ ...problem, arcs: problem.arcs.map(({ supply, demand, cost }) => ({ supply, demand, cost })) });
      expect(solveAllocation(sameDay).unitsAllocated).to.equal(10);
    });
  });

  describe("today's format", () => {
    it('when legacy instances are solved, then the results are exactly those of the solver before time expansion', () => {
      // Digest of solveAllocation and greedyAllocation results computed with the solver at commit 42a9bbc.
      const hash = createHash('sha256');
      for (let seed = 1; seed <= 200; seed++) {
        const n = 2 + (seed % 12);
        const problem = legacyInstance(seed, n, n + (seed % 5), 1 + (seed % 6));
        hash.update(JSON.stringify(solveAllocation(problem)));
        hash.update(JSON.stringify(greedyAllocation(problem)));
      }
      for (const [seed, n] of [
        [1001, 300],
        [1002, 1000],
      ]) {
        const problem = legacyInstance(seed, n, n, 8);
        hash.update(JSON.stringify(solveAllocation(problem)));
        hash.update(JSON.stringify(greedyAllocation(problem)));
      }
      expect(hash.digest('hex')).to.equal('bc5487fa5ea8668ba18282dc64e18617a1af19210e5fca60b7252e913efb1fb7');
    });

    it('when every supply is one day bucket and no demand is dated, then the result equals the untimed instance', () => {
      for (let seed = 1; seed <= 30; seed++) {
        const legacy = legacyInstance(seed, 12, 14, 4);
        const oneDay = instance({ ...legacy, supplies: legacy.supplies.map(({ id, units }) => ({ id, days: [units] })) });
        expect(solveAllocation(oneDay)).to.deep.equal(solveAllocation(legacy));
      }
    });

    it('when a supply omits units but has days, then units is the sum of the days', () => {
      expect(instance({ supplies: [{ id: 's', days: [1, 2, 3] }], demands: [], arcs: [] }).supplies[0]).to.deep.equal({
        id: 's',
        units: 6,
        days: [1, 2, 3],
      });
      expect(instance({ supplies: [{ id: 's', units: 4 }], demands: [], arcs: [] }).supplies[0]).to.deep.equal({ id: 's', units: 4 });
    });
  });

  describe('properties against the HiGHS LP on the full day-by-day network', () => {
    it('when small random time-expanded instances are solved, then flows are feasible by due date and match the two-phase LP optimum', () => {
      fc.assert(
        fc.property(timedInstance, (problem) => {
          expectLpOptimum(highs, problem, solveAllocation(problem));
        }),
        { numRuns: 150, seed: 20261130 },
      );
    });

    it('when small random time-expanded instances are solved greedily, then greedy is feasible by due date and never beats the optimum', () => {
      fc.assert(
        fc.property(timedInstance, (problem) => {
          const greedy = greedyAllocation(problem);
          const optimum = solveAllocation(problem);
          expectFeasible(problem, greedy);
          expect(greedy.weightedUnits).to.be.at.most(optimum.weightedUnits);
          if (greedy.weightedUnits === optimum.weightedUnits) expect(greedy.totalCost).to.be.at.least(optimum.totalCost - 1e-6);
        }),
        { numRuns: 150 },
      );
    });
  });

  describe('warm start: re-solving a changing market from the last basis', () => {
    /** The same market a moment later: one demand wants other units, one is gone, one line makes other output, one lane closes. */
    const changed = (problem: AllocationInstance, pick: number): AllocationInstance => {
      const [grow, drop, line] = [pick % 7, (pick >> 3) % 7, (pick >> 6) % 5];
      const gone = problem.demands[drop % Math.max(1, problem.demands.length)]?.id;
      return instance({
        supplies: problem.supplies.map((s, i) => (i === line && s.days ? { id: s.id, days: s.days.map((u, k) => (k % 2 ? u + 3 : Math.max(0, u - 2))) } : s.days ? { id: s.id, days: s.days } : s)),
        demands: problem.demands.filter((d) => d.id !== gone).map((d, i) => (i === grow ? { ...d, units: d.units + 5 } : d)),
        arcs: problem.arcs.filter((a, i) => a.demand !== gone && i !== pick % Math.max(1, problem.arcs.length)),
      });
    };

    it('when random markets change one after another and each is solved from the previous basis, then every result is feasible and equals the LP optimum', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(timedInstance, fc.nat({ max: 511 })), { minLength: 1, maxLength: 4 }), (steps) => {
          // one warm start across unrelated markets too: their ids repeat (s0, d0, ...), so old bases are wrong, not just old
          const warm = new WarmStart();
          for (const [problem, pick] of steps) {
            for (const p of [problem, changed(problem, pick), changed(changed(problem, pick), pick >> 2)]) {
              expectLpOptimum(highs, p, solveAllocation(p, warm));
            }
          }
        }),
        { numRuns: 120, seed: 20261201 },
      );
    });

    it('when a warm start would pivot past its limit, then the solve is done cold and is still the LP optimum', () => {
      fc.assert(
        fc.property(fc.array(timedInstance, { minLength: 2, maxLength: 4 }), (problems) => {
          const warm = new WarmStart();
          warm.pivotLimit = { perNode: 0, plus: 0 };
          for (const p of problems) expectLpOptimum(highs, p, solveAllocation(p, warm));
        }),
        { numRuns: 60, seed: 20261202 },
      );
      const warm = new WarmStart();
      warm.pivotLimit = { perNode: 0, plus: 0 };
      const p = instance({ supplies: [{ id: 'a', days: [3, 3] }, { id: 'b', units: 4 }], demands: [{ id: 'x', units: 5, priority: 2, due: 0 }, { id: 'y', units: 6, priority: 1 }], arcs: [{ supply: 'a', demand: 'x', cost: 1 }, { supply: 'b', demand: 'x', cost: 2 }, { supply: 'a', demand: 'y', cost: 1 }, { supply: 'b', demand: 'y', cost: 1 }] });
      expectLpOptimum(highs, p, solveAllocation(p, warm));
      expect(warm.abandoned).to.equal(1);
    });

    it('when a large market changes forty times, then each warm solve has the cold solve\'s weighted units and cost', () => {
      const random = createRandom(7);
      const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      const supplies = Array.from({ length: 60 }, (_, i) => ({ id: `line${i}`, days: Array.from({ length: int(5, 40) }, () => int(0, 50)) }));
      const demands = Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, units: int(1, 400), priority: int(1, 4), due: int(0, 45) }));
      const arcs = demands.flatMap((d) =>
        [...new Set(Array.from({ length: 8 }, () => int(0, 59)))].map((s) => ({ supply: `line${s}`, demand: d.id, cost: int(100, 900) / 100, ...(random() < 0.2 ? { limit: int(10, 200) } : {}) })),
      );
      let problem = instance({ supplies, demands, arcs });
      const warm = new WarmStart();
      for (let step = 0; step < 40; step++) {
        problem = changed(problem, int(0, 511));
        const hot = solveAllocation(problem, warm);
        const cold = solveAllocation(problem);
        expectFeasible(problem, hot);
        expect(hot.weightedUnits, `step ${step}`).to.equal(cold.weightedUnits);
        expect(hot.totalCost, `step ${step}`).to.be.closeTo(cold.totalCost, 1e-6 * Math.max(1, cold.totalCost));
      }
      expect(warm.abandoned, 'warm solves that went cold').to.equal(0);
    });
  });

  describe('standing units: what live re-planning keeps unless moving it gains', () => {
    const weight = 0.005;
    /** X stands on the dear line a; the cheap line b could serve it. */
    const dearAndCheap = instance({
      supplies: [{ id: 'a', units: 100 }, { id: 'b', units: 100 }],
      demands: [{ id: 'x', units: 100, priority: 1 }],
      arcs: [{ supply: 'a', demand: 'x', cost: 18 }, { supply: 'b', demand: 'x', cost: 9 }],
    });

    it('when a cheaper line could take a standing demand, then it stays unless that line stands alike (a line the change posted)', () => {
      expect(solveAllocation(dearAndCheap).flows).to.deep.equal([{ supply: 'b', demand: 'x', units: 100 }]);
      expect(solveAllocationArcs(dearAndCheap, new WarmStart(), { units: [100, 0], weight }).result.flows).to.deep.equal([{ supply: 'a', demand: 'x', units: 100 }]);
      expect(solveAllocationArcs(dearAndCheap, new WarmStart(), { units: [100, Infinity], weight }).result.flows).to.deep.equal([{ supply: 'b', demand: 'x', units: 100 }]);
    });

    it('when a more urgent demand can use only the line a standing proposal is on, then the units move to it', () => {
      const p = instance({
        supplies: [{ id: 'a', units: 100 }],
        demands: [{ id: 'x', units: 100, priority: 1 }, { id: 'n', units: 60, priority: 3 }],
        arcs: [{ supply: 'a', demand: 'x', cost: 1 }, { supply: 'a', demand: 'n', cost: 5 }],
      });
      const { result } = solveAllocationArcs(p, new WarmStart(), { units: [100, 0], weight });
      expect(result.flows).to.have.deep.members([{ supply: 'a', demand: 'x', units: 40 }, { supply: 'a', demand: 'n', units: 60 }]);
    });

    /** X0..X(k-1) stand on lines a0..a(k-1), each full, and could use the next line; a(k) is free; n needs 1 unit of a0 only. */
    const chain = (k: number) => {
      const supplies = Array.from({ length: k + 1 }, (_, i) => ({ id: `a${i}`, units: 100 }));
      const demands = [...Array.from({ length: k }, (_, i) => ({ id: `x${i}`, units: 100, priority: 1 })), { id: 'n', units: 1, priority: 1 }];
      const arcs = [...Array.from({ length: k }, (_, i) => [{ supply: `a${i}`, demand: `x${i}`, cost: 1 }, { supply: `a${i + 1}`, demand: `x${i}`, cost: 1 }]).flat(), { supply: 'a0', demand: 'n', cost: 1 }];
      const p = instance({ supplies, demands, arcs });
      return { p, standing: p.arcs.map((a) => (a.supply === `a${a.demand.slice(1)}` ? 100 : 0)) };
    };

    it('when one more unit would take moving a unit along a chain of standing proposals, then it moves along 100 of them and not along 300', () => {
      const short = chain(100);
      expect(solveAllocationArcs(short.p, new WarmStart(), { units: short.standing, weight }).result.weightedUnits).to.equal(100 * 100 + 1);
      const long = chain(300);
      const kept = solveAllocationArcs(long.p, new WarmStart(), { units: long.standing, weight }).result;
      expect(kept.weightedUnits).to.equal(300 * 100);
      expect(kept.flows.every((f) => f.supply === `a${f.demand.slice(1)}` && f.units === 100)).to.equal(true);
      // without standing units, the unit moves along all 300
      expect(solveAllocation(long.p).weightedUnits).to.equal(300 * 100 + 1);
    });

    it('when random markets with random standing units change one after another, then every result is feasible and has at least 1 / (1 + weight) of the LP optimum', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(timedInstance, fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 40, maxLength: 40 })), { minLength: 1, maxLength: 4 }), (steps) => {
          const warm = new WarmStart();
          for (const [problem, units] of steps) {
            const standing = problem.arcs.map((_, i) => (units[i % units.length] > 30 ? Infinity : units[i % units.length]));
            const { result } = solveAllocationArcs(problem, warm, { units: standing, weight });
            expectFeasible(problem, result);
            const lp = lpOptimum(highs, problem);
            expect(result.weightedUnits).to.be.at.least(Math.ceil(lp.weightedUnits / (1 + weight) - 1e-9));
            expect(result.weightedUnits).to.be.at.most(lp.weightedUnits);
          }
        }),
        { numRuns: 120, seed: 20261203 },
      );
    });
  });

  describe('commitments kept on a line (outputLeft)', () => {
    /** Kept commitments and new demands on one line: [units, due day] each. */
    const lineCase = fc.record({
      days: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 12 }),
      kept: fc.array(fc.tuple(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 14 })), { maxLength: 4 }),
      wanted: fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 14 }), fc.integer({ min: 1, max: 4 })), { minLength: 1, maxLength: 4 }),
    });
    /** The definition: by every day, what is due by then (a due day past the line's last day counts on its last day) is no more than what is made. */
    const fitsLine = (days: number[], due: [number, number][]) =>
      days.every((_, k) => due.filter(([, d]) => Math.min(d, days.length - 1) <= k).reduce((n, [u]) => n + u, 0) <= days.slice(0, k + 1).reduce((a, b) => a + b, 0));

    it('when kept commitments fit, then the line with them taken out serves new demands exactly as the line serving the kept ones first, and what it serves fits with them by the definition', () => {
      fc.assert(
        fc.property(lineCase, ({ days, kept, wanted }) => {
          fc.pre(fitsLine(days, kept));
          const dueBy = new Array<number>(days.length).fill(0);
          for (const [u, d] of kept) dueBy[Math.min(d, days.length - 1)] += u;
          const demands = wanted.map(([units, due, priority], i) => ({ id: `w${i}`, units, due, priority }));
          const folded = solveAllocation(
            instance({ supplies: [{ id: 'line', days: outputLeft(days, dueBy) }], demands, arcs: demands.map((d) => ({ supply: 'line', demand: d.id, cost: 1 })) }),
          );
          // the same line with the kept commitments as demands it must serve first (a priority above every other)
          const first = solveAllocation(
            instance({
              supplies: [{ id: 'line', days }],
              demands: [...demands, ...kept.map(([units, due], i) => ({ id: `k${i}`, units, due, priority: 100 }))],
              arcs: [...demands.map((d) => ({ supply: 'line', demand: d.id, cost: 1 })), ...kept.map((_, i) => ({ supply: 'line', demand: `k${i}`, cost: 0 }))],
            }),
          );
          const servedFirst = first.flows.filter((f) => f.demand.startsWith('w'));
          expect(folded.weightedUnits).to.equal(servedFirst.reduce((n, f) => n + demands.find((d) => d.id === f.demand)!.priority * f.units, 0));
          const served: [number, number][] = folded.flows.map((f) => [f.units, demands.find((d) => d.id === f.demand)!.due]);
          expect(fitsLine(days, [...kept, ...served]), 'what the folded line serves fits with the kept commitments').to.equal(true);
        }),
        { numRuns: 300, seed: 20261130 },
      );
    });
  });

  describe('schema', () => {
    it('when days or due are malformed, then each offending path is reported', () => {
      const cases: [unknown, (string | number)[]][] = [
        [{ id: 's', days: [] }, ['supplies', 0, 'days']],
        [{ id: 's', days: [1, -1] }, ['supplies', 0, 'days', 1]],
        [{ id: 's', days: [1, 0.5] }, ['supplies', 0, 'days', 1]],
        [{ id: 's', days: 'x' }, ['supplies', 0, 'days']],
        [{ id: 's', days: [1, 2], units: 4 }, ['supplies', 0, 'units']],
        [{ id: 's' }, ['supplies', 0, 'units']],
      ];
      for (const [supply, path] of cases) {
        const parsed = AllocationInstanceSchema.safeParse({ supplies: [supply], demands: [], arcs: [] });
        expect(parsed.success, JSON.stringify(supply)).to.equal(false);
        expect(parsed.error?.issues.map((issue) => issue.path)).to.deep.include(path);
      }
      for (const due of [-1, 1.5, '2', null]) {
        const parsed = AllocationInstanceSchema.safeParse({
          supplies: [{ id: 's', units: 1 }],
          demands: [{ id: 'd', units: 1, priority: 1, due }],
          arcs: [{ supply: 's', demand: 'd', cost: 1, due }],
        });
        expect(parsed.success, JSON.stringify(due)).to.equal(false);
        expect(parsed.error?.issues.map((issue) => issue.path)).to.deep.include(['demands', 0, 'due']);
        expect(parsed.error?.issues.map((issue) => issue.path)).to.deep.include(['arcs', 0, 'due']);
      }
    });
  });

  describe('CLI', function () {
    this.timeout(60_000);

    const runCli = (input: unknown) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/allocate.ts'], {
        cwd: repoRoot,
        input: JSON.stringify(input),
        encoding: 'utf8',
      });

    it('when lines and due days are given, then it prints the optimum per pair summed over days', () => {
      const run = runCli({
        supplies: [{ id: 'offer-1#line-a', days: [5, 0, 0, 0, 0, 7] }],
        demands: [
          { id: 'early', units: 10, priority: 1, due: 2 },
          { id: 'late', units: 10, priority: 1, due: 9 },
        ],
        arcs: [
          { supply: 'offer-1#line-a', demand: 'early', cost: 1 },
          { supply: 'offer-1#line-a', demand: 'late', cost: 1 },
        ],
      });
      expect(run.status, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout)).to.deep.equal({
        flows: [
          { supply: 'offer-1#line-a', demand: 'early', units: 5 },
          { supply: 'offer-1#line-a', demand: 'late', units: 7 },
        ],
        weightedUnits: 12,
        unitsAllocated: 12,
        totalCost: 12,
      });
    });

    it('when days and due are malformed, then it exits 2 naming every offending path on one stderr line', () => {
      const run = runCli({
        supplies: [
          { id: 'a', days: [1, 1], units: 3 },
          { id: 'b', days: [] },
          { id: 'c', days: [2, -1] },
          { id: 'd' },
        ],
        demands: [
          { id: 'x', units: 1, priority: 1, due: -1 },
          { id: 'y', units: 1, priority: 1, due: 2.5 },
        ],
        arcs: [{ supply: 'a', demand: 'x', cost: 1, due: 'soon' }],
      });
      expect(run.status).to.equal(2);
      expect(run.stdout).to.equal('');
      for (const path of ['supplies[0].units', 'supplies[1].days', 'supplies[2].days[1]', 'supplies[3].units', 'demands[0].due', 'demands[1].due', 'arcs[0].due']) {
        expect(run.stderr).to.include(path);
      }
      expect(run.stderr).to.include('must equal the sum of days');
      expect(run.stderr.trim().split('\n')).to.have.length(1);
    });
  });
});

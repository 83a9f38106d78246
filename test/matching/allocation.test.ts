import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import highsLoader from 'highs';
import {
  AllocationInstanceSchema,
  greedyAllocation,
  solveAllocation,
  type AllocationInstance,
  type AllocationResult,
} from '../../server/matching/allocation';

type Highs = Awaited<ReturnType<typeof highsLoader>>;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function instance(raw: unknown): AllocationInstance {
  return AllocationInstanceSchema.parse(raw);
}

function term(coefficient: number, variable: string): string {
  return `${coefficient < 0 ? '-' : '+'} ${Math.abs(coefficient)} ${variable}`;
}

/** Independent oracle: the transportation LP in CPLEX LP format, solved by HiGHS in two phases (weight, then cost). */
function lpOptimum(highs: Highs, problem: AllocationInstance): { weightedUnits: number; totalCost: number } {
  if (problem.arcs.length === 0) return { weightedUnits: 0, totalCost: 0 };
  const priority = new Map(problem.demands.map((demand) => [demand.id, demand.priority]));
  const variables = problem.arcs.map((_, index) => `x${index}`);
  const weightTerms = problem.arcs.map((arc, index) => term(priority.get(arc.demand) ?? 0, variables[index])).join(' ');
  const costTerms = problem.arcs.map((arc, index) => term(arc.cost, variables[index])).join(' ');
  const rows: string[] = [];
  for (const [kind, nodes] of [
    ['s', problem.supplies],
    ['d', problem.demands],
  ] as const) {
    nodes.forEach((node, nodeIndex) => {
      const terms = problem.arcs
        .map((arc, index) => ((kind === 's' ? arc.supply : arc.demand) === node.id ? `+ ${variables[index]}` : ''))
        .filter(Boolean);
      if (terms.length > 0) rows.push(` ${kind}${nodeIndex}: ${terms.join(' ')} <= ${node.units}`);
    });
  }
  const bounds = problem.arcs.map((arc, index) => ` 0 <= ${variables[index]}${arc.limit === undefined ? '' : ` <= ${arc.limit}`}`);
  const model = (objective: string, extraRow: string) =>
    `${objective}\nSubject To\n${rows.join('\n')}\n${extraRow}Bounds\n${bounds.join('\n')}\nEnd\n`;

  const weightPhase = highs.solve(model(`Maximize\n obj: ${weightTerms}`, ''));
  expect(weightPhase.Status).to.equal('Optimal');
  const weightedUnits = Math.round(weightPhase.ObjectiveValue);
  const costPhase = highs.solve(model(`Minimize\n obj: ${costTerms}`, ` w: ${weightTerms} >= ${weightedUnits}\n`));
  expect(costPhase.Status).to.equal('Optimal');
  return { weightedUnits, totalCost: costPhase.ObjectiveValue };
}

function expectFeasible(problem: AllocationInstance, result: AllocationResult): void {
  const arcs = new Map(problem.arcs.map((arc) => [`${arc.supply}\u0000${arc.demand}`, arc]));
  const shipped = new Map<string, number>();
  const received = new Map<string, number>();
  const priority = new Map(problem.demands.map((demand) => [demand.id, demand.priority]));
  let weightedUnits = 0;
  let unitsAllocated = 0;
  let totalCost = 0;
  for (const flow of result.flows) {
    const arc = arcs.get(`${flow.supply}\u0000${flow.demand}`);
    expect(arc, `flow ${flow.supply} -> ${flow.demand} uses a given arc`).to.not.equal(undefined);
    expect(Number.isInteger(flow.units) && flow.units > 0, 'flow units are positive integers').to.equal(true);
    if (arc?.limit !== undefined) expect(flow.units).to.be.at.most(arc.limit);
    shipped.set(flow.supply, (shipped.get(flow.supply) ?? 0) + flow.units);
    received.set(flow.demand, (received.get(flow.demand) ?? 0) + flow.units);
    weightedUnits += (priority.get(flow.demand) ?? 0) * flow.units;
    unitsAllocated += flow.units;
    totalCost += (arc?.cost ?? 0) * flow.units;
  }
  for (const supply of problem.supplies) expect(shipped.get(supply.id) ?? 0).to.be.at.most(supply.units);
  for (const demand of problem.demands) expect(received.get(demand.id) ?? 0).to.be.at.most(demand.units);
  expect(result.weightedUnits).to.equal(weightedUnits);
  expect(result.unitsAllocated).to.equal(unitsAllocated);
  expect(result.totalCost).to.be.closeTo(totalCost, 1e-6);
  const keys = result.flows.map((flow) => [flow.supply, flow.demand]);
  const sorted = [...keys].sort(([a, b], [c, d]) => (a < c ? -1 : a > c ? 1 : b < d ? -1 : b > d ? 1 : 0));
  expect(keys).to.deep.equal(sorted);
}

const smallInstance = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }))
  .chain(([supplyCount, demandCount]) =>
    fc.record({
      supplies: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: supplyCount, maxLength: supplyCount }),
      demands: fc.array(fc.record({ units: fc.integer({ min: 0, max: 20 }), priority: fc.integer({ min: 1, max: 4 }) }), {
        minLength: demandCount,
        maxLength: demandCount,
      }),
      arcs: fc.array(
        fc.option(
          fc.record({
            // Few distinct costs so that ties, and therefore the tie-break, actually occur.
            cost: fc.oneof(fc.integer({ min: -4, max: 12 }), fc.integer({ min: -100, max: 1000 }).map((c) => c / 100)),
            limit: fc.option(fc.integer({ min: 0, max: 15 }), { nil: undefined }),
          }),
          { nil: null, freq: 3 },
        ),
        { minLength: supplyCount * demandCount, maxLength: supplyCount * demandCount },
      ),
    }),
  )
  .map(({ supplies, demands, arcs }) =>
    instance({
      supplies: supplies.map((units, index) => ({ id: `s${index}`, units })),
      demands: demands.map(({ units, priority }, index) => ({ id: `d${index}`, units, priority })),
      arcs: arcs.flatMap((arc, index) => {
        if (arc === null) return [];
        const supply = `s${Math.floor(index / demands.length)}`;
        const demand = `d${index % demands.length}`;
        return [arc.limit === undefined ? { supply, demand, cost: arc.cost } : { supply, demand, cost: arc.cost, limit: arc.limit }];
      }),
    }),
  );

describe('allocation solver', () => {
  let highs: Highs;

  before(async () => {
    highs = await highsLoader();
  });

  describe('hand-made instances', () => {
    it('when a high-priority demand is expensive to serve, then it still gets the supply before a cheap low-priority one', () => {
      const problem = instance({
        supplies: [{ id: 's', units: 10 }],
        demands: [
          { id: 'cheap-low', units: 10, priority: 1 },
          { id: 'dear-high', units: 10, priority: 3 },
        ],
        arcs: [
          { supply: 's', demand: 'cheap-low', cost: 1 },
          { supply: 's', demand: 'dear-high', cost: 100 },
        ],
      });
      expect(solveAllocation(problem)).to.deep.equal({
        flows: [{ supply: 's', demand: 'dear-high', units: 10 }],
        weightedUnits: 30,
        unitsAllocated: 10,
        totalCost: 1000,
      });
    });

    it('when priorities tie, then the cheaper supply is used', () => {
      const problem = instance({
        supplies: [
          { id: 'far', units: 10 },
          { id: 'near', units: 10 },
        ],
        demands: [{ id: 'd', units: 6, priority: 2 }],
        arcs: [
          { supply: 'far', demand: 'd', cost: 9.5 },
          { supply: 'near', demand: 'd', cost: 2.25 },
        ],
      });
      expect(solveAllocation(problem)).to.deep.equal({
        flows: [{ supply: 'near', demand: 'd', units: 6 }],
        weightedUnits: 12,
        unitsAllocated: 6,
        totalCost: 13.5,
      });
    });

    it('when the cheap arc has a limit, then it carries exactly the limit and the rest goes the dearer way', () => {
      const problem = instance({
        supplies: [
          { id: 'a', units: 100 },
          { id: 'b', units: 100 },
        ],
        demands: [{ id: 'd', units: 10, priority: 1 }],
        arcs: [
          { supply: 'a', demand: 'd', cost: 1, limit: 4 },
          { supply: 'b', demand: 'd', cost: 3 },
        ],
      });
      expect(solveAllocation(problem).flows).to.deep.equal([
        { supply: 'a', demand: 'd', units: 4 },
        { supply: 'b', demand: 'd', units: 6 },
      ]);
    });

    it('when a demand has no arc, then it gets nothing and the others are still served', () => {
      const problem = instance({
        supplies: [{ id: 's', units: 10 }],
        demands: [
          { id: 'isolated', units: 5, priority: 5 },
          { id: 'linked', units: 5, priority: 1 },
        ],
        arcs: [{ supply: 's', demand: 'linked', cost: 2 }],
      });
      const result = solveAllocation(problem);
      expect(result.flows).to.deep.equal([{ supply: 's', demand: 'linked', units: 5 }]);
      expect(result.flows.some((flow) => flow.demand === 'isolated')).to.equal(false);
    });

    it('when the instance is empty, then nothing is allocated', () => {
      const empty = { flows: [], weightedUnits: 0, unitsAllocated: 0, totalCost: 0 };
      expect(solveAllocation(instance({ supplies: [], demands: [], arcs: [] }))).to.deep.equal(empty);
      expect(greedyAllocation(instance({ supplies: [], demands: [], arcs: [] }))).to.deep.equal(empty);
    });

    it('when units, supplies or limits are zero, then those arcs carry nothing', () => {
      const problem = instance({
        supplies: [
          { id: 'empty', units: 0 },
          { id: 'full', units: 5 },
        ],
        demands: [
          { id: 'none', units: 0, priority: 3 },
          { id: 'some', units: 5, priority: 1 },
        ],
        arcs: [
          { supply: 'empty', demand: 'some', cost: -10 },
          { supply: 'full', demand: 'none', cost: -10 },
          { supply: 'full', demand: 'some', cost: -1, limit: 0 },
        ],
      });
      expect(solveAllocation(problem)).to.deep.equal({ flows: [], weightedUnits: 0, unitsAllocated: 0, totalCost: 0 });
    });

    it('when greedy spends a shared supply on the urgent demand it could have got elsewhere, then greedy loses weight and the solver does not', () => {
      // Greedy fills a -> urgent (cheapest urgent lane), leaving b idle and normal unserved.
      const problem = instance({
        supplies: [
          { id: 'a', units: 10 },
          { id: 'b', units: 10 },
        ],
        demands: [
          { id: 'normal', units: 10, priority: 2 },
          { id: 'urgent', units: 10, priority: 3 },
        ],
        arcs: [
          { supply: 'a', demand: 'urgent', cost: 1 },
          { supply: 'a', demand: 'normal', cost: 1 },
          { supply: 'b', demand: 'urgent', cost: 5 },
        ],
      });
      const greedy = greedyAllocation(problem);
      const optimum = solveAllocation(problem);
      expect(greedy.weightedUnits).to.equal(30);
      expect(optimum).to.deep.equal({
        flows: [
          { supply: 'a', demand: 'normal', units: 10 },
          { supply: 'b', demand: 'urgent', units: 10 },
        ],
        weightedUnits: 50,
        unitsAllocated: 20,
        totalCost: 60,
      });
    });

    it('when greedy reaches the optimal weight at a higher cost, then the solver finds the cheaper plan with the same weight', () => {
      const problem = instance({
        supplies: [
          { id: 'a', units: 5 },
          { id: 'b', units: 5 },
        ],
        demands: [
          { id: 'x', units: 5, priority: 1 },
          { id: 'y', units: 5, priority: 1 },
        ],
        arcs: [
          { supply: 'a', demand: 'x', cost: 1 },
          { supply: 'a', demand: 'y', cost: 2 },
          { supply: 'b', demand: 'x', cost: 2 },
          { supply: 'b', demand: 'y', cost: 100 },
        ],
      });
      expect(greedyAllocation(problem)).to.include({ weightedUnits: 10, totalCost: 505 });
      expect(solveAllocation(problem)).to.include({ weightedUnits: 10, totalCost: 20 });
    });

    it('when costs are decimal fractions, then totalCost carries no float noise', () => {
      const problem = instance({
        supplies: [{ id: 's', units: 3 }],
        demands: [{ id: 'd', units: 3, priority: 1 }],
        arcs: [{ supply: 's', demand: 'd', cost: 0.1 }],
      });
      expect(solveAllocation(problem).totalCost).to.equal(0.3);
    });

    it('when costs differ only in the sixth decimal, then the tie-break still sees the difference', () => {
      const problem = instance({
        supplies: [
          { id: 'a', units: 1 },
          { id: 'b', units: 1 },
        ],
        demands: [{ id: 'd', units: 1, priority: 1 }],
        arcs: [
          { supply: 'a', demand: 'd', cost: 1.000002 },
          { supply: 'b', demand: 'd', cost: 1.000001 },
        ],
      });
      expect(solveAllocation(problem).flows).to.deep.equal([{ supply: 'b', demand: 'd', units: 1 }]);
    });

    it('when an arc has a negative cost, then it is preferred but never used to ship more than is demanded', () => {
      const problem = instance({
        supplies: [{ id: 's', units: 10 }],
        demands: [{ id: 'd', units: 4, priority: 1 }],
        arcs: [{ supply: 's', demand: 'd', cost: -2.5 }],
      });
      expect(solveAllocation(problem)).to.deep.equal({
        flows: [{ supply: 's', demand: 'd', units: 4 }],
        weightedUnits: 4,
        unitsAllocated: 4,
        totalCost: -10,
      });
    });

    it('when a mid-sized random instance is solved, then the result is feasible and never worse than greedy', () => {
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed / 2147483648;
      };
      const supplies = Array.from({ length: 60 }, (_, i) => ({ id: `s${i}`, units: Math.floor(random() * 50) }));
      const demands = Array.from({ length: 80 }, (_, i) => ({
        id: `d${i}`,
        units: Math.floor(random() * 50),
        priority: 1 + Math.floor(random() * 3),
      }));
      const arcs = demands.flatMap((demand) =>
        [...new Set(Array.from({ length: 6 }, () => Math.floor(random() * supplies.length)))].map((s) => ({
          supply: `s${s}`,
          demand: demand.id,
          cost: Math.round(random() * 10000) / 100,
          ...(random() < 0.3 ? { limit: Math.floor(random() * 30) } : {}),
        })),
      );
      const problem = instance({ supplies, demands, arcs });
      const optimum = solveAllocation(problem);
      const greedy = greedyAllocation(problem);
      expectFeasible(problem, optimum);
      expectFeasible(problem, greedy);
      const lp = lpOptimum(highs, problem);
      expect(optimum.weightedUnits).to.equal(lp.weightedUnits);
      expect(optimum.totalCost).to.be.closeTo(lp.totalCost, 1e-6 * Math.max(1, Math.abs(lp.totalCost)));
      expect(optimum.weightedUnits).to.be.at.least(greedy.weightedUnits);
    });
  });

  describe('schema', () => {
    it('when ids repeat, arcs dangle or an arc repeats, then every offending path is reported', () => {
      const parsed = AllocationInstanceSchema.safeParse({
        supplies: [
          { id: 'a', units: 1 },
          { id: 'a', units: 2 },
        ],
        demands: [
          { id: 'x', units: 1, priority: 1 },
          { id: 'x', units: 1, priority: 1 },
        ],
        arcs: [
          { supply: 'a', demand: 'x', cost: 1 },
          { supply: 'a', demand: 'x', cost: 2 },
          { supply: 'ghost', demand: 'nobody', cost: 1 },
        ],
      });
      expect(parsed.success).to.equal(false);
      expect(parsed.error?.issues.map((issue) => issue.path)).to.have.deep.members([
        ['supplies', 1, 'id'],
        ['demands', 1, 'id'],
        ['arcs', 1],
        ['arcs', 2, 'supply'],
        ['arcs', 2, 'demand'],
      ]);
    });

    it('when fields have the wrong shape or unknown keys, then the instance is rejected', () => {
      const bad = [
        { supplies: [{ id: '', units: 1 }], demands: [], arcs: [] },
        { supplies: [{ id: 's', units: 1.5 }], demands: [], arcs: [] },
        { supplies: [{ id: 's', units: -1 }], demands: [], arcs: [] },
        { supplies: [], demands: [{ id: 'd', units: 1, priority: 0 }], arcs: [] },
        { supplies: [], demands: [{ id: 'd', units: 1, priority: 1.5 }], arcs: [] },
        { supplies: [{ id: 's', units: 1, colour: 'red' }], demands: [], arcs: [] },
        { supplies: [], demands: [], arcs: [], extra: true },
        { supplies: [], demands: [] },
        {
          supplies: [{ id: 's', units: 1 }],
          demands: [{ id: 'd', units: 1, priority: 1 }],
          arcs: [{ supply: 's', demand: 'd', cost: 1, limit: -1 }],
        },
        {
          supplies: [{ id: 's', units: 1 }],
          demands: [{ id: 'd', units: 1, priority: 1 }],
          arcs: [{ supply: 's', demand: 'd', cost: '1' }],
        },
      ];
      for (const raw of bad) expect(AllocationInstanceSchema.safeParse(raw).success, JSON.stringify(raw)).to.equal(false);
    });
  });

  describe('properties against the HiGHS LP', () => {
    it('when small random instances are solved, then flows are feasible integers on given arcs and match the two-phase LP optimum', () => {
      fc.assert(
        fc.property(smallInstance, (problem) => {
          const result = solveAllocation(problem);
          expectFeasible(problem, result);
          const lp = lpOptimum(highs, problem);
          expect(result.weightedUnits).to.equal(lp.weightedUnits);
          expect(result.totalCost).to.be.closeTo(lp.totalCost, 1e-6 * Math.max(1, Math.abs(lp.totalCost)));
        }),
        { numRuns: 100, seed: 20240601 },
      );
    });

    it('when small random instances are solved greedily, then greedy is feasible and never beats the optimum lexicographically', () => {
      fc.assert(
        fc.property(smallInstance, (problem) => {
          const greedy = greedyAllocation(problem);
          const optimum = solveAllocation(problem);
          expectFeasible(problem, greedy);
          expect(greedy.weightedUnits).to.be.at.most(optimum.weightedUnits);
          if (greedy.weightedUnits === optimum.weightedUnits) {
            expect(greedy.totalCost).to.be.at.least(optimum.totalCost - 1e-6);
          }
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('CLI', function () {
    this.timeout(60_000);

    const runCli = (input: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/allocate.ts'], { cwd: repoRoot, input, encoding: 'utf8' });

    it('when given a valid instance on stdin, then it prints the optimal allocation and exits 0', () => {
      const raw = {
        supplies: [{ id: 's1', units: 1000 }],
        demands: [{ id: 'd1', units: 800, priority: 3 }],
        arcs: [{ supply: 's1', demand: 'd1', cost: 12.5, limit: 500 }],
      };
      const run = runCli(JSON.stringify(raw));
      expect(run.status, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout)).to.deep.equal({
        flows: [{ supply: 's1', demand: 'd1', units: 500 }],
        weightedUnits: 1500,
        unitsAllocated: 500,
        totalCost: 6250,
      });
    });

    it('when stdin is not JSON, then it exits 2 with a message on stderr and nothing on stdout', () => {
      const run = runCli('{"supplies": [');
      expect(run.status).to.equal(2);
      expect(run.stdout).to.equal('');
      expect(run.stderr).to.match(/not valid JSON/);
    });

    it('when the instance breaks the schema, then it exits 2 and names the offending paths', () => {
      const run = runCli(
        JSON.stringify({
          supplies: [{ id: 's1', units: -3 }],
          demands: [{ id: 'd1', units: 5, priority: 0 }],
          arcs: [{ supply: 's1', demand: 'd9', cost: 1 }],
        }),
      );
      expect(run.status).to.equal(2);
      expect(run.stdout).to.equal('');
      expect(run.stderr).to.include('supplies[0].units');
      expect(run.stderr).to.include('demands[0].priority');
      expect(run.stderr.trim().split('\n')).to.have.length(1);
    });
  });
});

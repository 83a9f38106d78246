import highsLoader from 'highs';
import {
  AllocationInstanceSchema,
  greedyAllocation,
  solveAllocation,
  type AllocationInstance,
  type AllocationResult,
} from '../../server/matching/allocation';

type Highs = Awaited<ReturnType<typeof highsLoader>>;

const DEFAULT_SIZES = [1000, 5000, 20000];
const DEFAULT_HIGHS_MAX_SIZE = 5000; // HiGHS needs ~20 s at 5k and several minutes at 20k
const DEFAULT_TIMED_SIZES = [1000, 5000, 20000];
const DEFAULT_HORIZON = 60;
const DEFAULT_TIMED_HIGHS_MAX_SIZE = 1000; // 16-52 s at 1k x 1k x 60 (61k rows), depending on load; at 5k x 5k x 60 (305k rows) it did not finish within 540 s

/** mulberry32: tiny, seedable and good enough that every run benchmarks the same instances. */
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

type Point = { x: number; y: number };

/** Factories and buyers cluster around cities, which is what makes supply contested and greedy short-sighted. */
function generateInstance(size: number, seed: number): AllocationInstance {
  const random = createRandom(seed);
  const between = (low: number, high: number) => low + random() * (high - low);
  const integer = (low: number, high: number) => Math.floor(between(low, high + 1));
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

  const side = Math.sqrt(size) * 10; // km; keeps the density of sites constant across sizes
  const cities = Array.from({ length: Math.max(5, Math.round(size / 60)) }, () => ({
    x: between(0, side),
    y: between(0, side),
    spread: between(5, 25),
  }));
  const place = (): Point => {
    if (random() < 0.3) return { x: between(0, side), y: between(0, side) };
    const city = cities[integer(0, cities.length - 1)];
    const clamp = (value: number) => Math.min(side, Math.max(0, value));
    return { x: clamp(city.x + gaussian() * city.spread), y: clamp(city.y + gaussian() * city.spread) };
  };

  const supplySites = Array.from({ length: size }, place);
  const demandSites = Array.from({ length: size }, place);
  const demands = demandSites.map((_, index) => {
    const roll = random();
    return { id: `d${index}`, units: integer(20, 300), priority: roll < 0.6 ? 1 : roll < 0.9 ? 2 : 3 };
  });
  const rawSupply = supplySites.map(() => integer(40, 400));
  const totalDemand = demands.reduce((sum, demand) => sum + demand.units, 0);
  const rawTotal = rawSupply.reduce((sum, units) => sum + units, 0);
  const supplyFactor = (0.85 * totalDemand) / rawTotal; // supply short of demand, so priority decides
  const supplies = rawSupply.map((units, index) => ({ id: `s${index}`, units: Math.max(1, Math.round(units * supplyFactor)) }));
  const unitPrice = supplySites.map(() => Math.round(between(20, 60) * 100) / 100);

  const cellsPerSide = Math.max(1, Math.round(Math.sqrt(size / 2)));
  const cellSize = side / cellsPerSide;
  const cellOf = (value: number) => Math.min(cellsPerSide - 1, Math.floor(value / cellSize));
  const buckets: number[][] = Array.from({ length: cellsPerSide * cellsPerSide }, () => []);
  supplySites.forEach((site, index) => buckets[cellOf(site.y) * cellsPerSide + cellOf(site.x)].push(index));

  const arcs: AllocationInstance['arcs'] = [];
  demandSites.forEach((site, demandIndex) => {
    const wanted = integer(5, 15);
    const cx = cellOf(site.x);
    const cy = cellOf(site.y);
    const candidates: number[] = [];
    // Grow square rings until k candidates are in, then one more ring so the k nearest are really inside.
    let extraRings = 1;
    for (let ring = 0; ring <= cellsPerSide; ring++) {
      for (let y = cy - ring; y <= cy + ring; y++) {
        for (let x = cx - ring; x <= cx + ring; x++) {
          const onRing = Math.max(Math.abs(x - cx), Math.abs(y - cy)) === ring;
          if (!onRing || x < 0 || y < 0 || x >= cellsPerSide || y >= cellsPerSide) continue;
          candidates.push(...buckets[y * cellsPerSide + x]);
        }
      }
      if (candidates.length >= wanted && extraRings-- === 0) break;
    }
    const distance = (index: number) => Math.hypot(supplySites[index].x - site.x, supplySites[index].y - site.y);
    const nearest = candidates
      .map((index) => ({ index, km: distance(index) }))
      .sort((a, b) => a.km - b.km)
      .slice(0, wanted);
    for (const { index, km } of nearest) {
      const cost = Math.round((unitPrice[index] + 0.4 * km) * 100) / 100;
      const arc = { supply: `s${index}`, demand: `d${demandIndex}`, cost };
      arcs.push(random() < 0.15 ? { ...arc, limit: integer(10, 100) } : arc);
    }
  });
  return AllocationInstanceSchema.parse({ supplies, demands, arcs });
}

/**
 * The same geography and arcs with production lines over `horizon` days: each line runs a window of whole
 * days at a steady rate (about the units it had untimed), and each demand is due on some day (a tenth
 * undated, a few after the horizon), a third of its lanes 1-3 days earlier for transit, so early output
 * is contested by early due dates.
 */
function generateTimedInstance(size: number, horizon: number, seed: number): AllocationInstance {
  const base = generateInstance(size, seed);
  const random = createRandom(seed ^ 0x5eed);
  const integer = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const supplies = base.supplies.map(({ id, units }) => {
    const start = integer(0, Math.floor(horizon / 3));
    const end = Math.min(horizon - 1, start + integer(Math.ceil(horizon / 6), horizon) - 1);
    const rate = Math.max(1, Math.round(units / (end - start + 1)));
    return { id, days: Array.from({ length: horizon }, (_, day) => (day >= start && day <= end ? rate : 0)) };
  });
  const demands = base.demands.map((demand) =>
    random() < 0.1 ? demand : { ...demand, due: integer(Math.min(2, horizon - 1), horizon + Math.floor(horizon / 10)) },
  );
  const dueOf = new Map(demands.map((demand) => [demand.id, demand.due]));
  // A lane with transit days is due that much earlier than the deadline; a third of lanes need 1-3 days.
  const arcs = base.arcs.map((arc) => {
    const due = dueOf.get(arc.demand);
    return due === undefined || random() >= 1 / 3 ? arc : { ...arc, due: Math.max(0, due - integer(1, 3)) };
  });
  return AllocationInstanceSchema.parse({ supplies, demands, arcs });
}

/**
 * HiGHS on the full day-by-day network, written independently of the solver: one row per line per day
 * (arcs leaving that day + held to the next day - held from the previous day <= made that day), one per
 * demand; two phases as above.
 */
function solveTimedWithHighs(highs: Highs, instance: AllocationInstance): { weightedUnits: number; totalCost: number } {
  if (instance.arcs.length === 0) return { weightedUnits: 0, totalCost: 0 };
  const supplyIndex = new Map(instance.supplies.map((supply, index) => [supply.id, index]));
  const demandIndex = new Map(instance.demands.map((demand, index) => [demand.id, index]));
  const dayRows = instance.supplies.map((supply) => Array.from({ length: supply.days?.length ?? 1 }, () => [] as string[]));
  const demandRows = instance.demands.map(() => [] as string[]);
  const weightTerms: string[] = [];
  const costTerms: string[] = [];
  const bounds: string[] = [];
  instance.arcs.forEach((arc, index) => {
    const variable = `x${index}`;
    const s = supplyIndex.get(arc.supply)!;
    const d = demandIndex.get(arc.demand)!;
    const supply = instance.supplies[s];
    const due = arc.due ?? instance.demands[d].due;
    const last = (supply.days?.length ?? 1) - 1;
    dayRows[s][due === undefined ? last : Math.min(due, last)].push(`+ ${variable}`);
    demandRows[d].push(`+ ${variable}`);
    weightTerms.push(`+ ${instance.demands[d].priority} ${variable}`);
    costTerms.push(`${arc.cost < 0 ? '-' : '+'} ${Math.abs(arc.cost)} ${variable}`);
    bounds.push(` 0 <= ${variable}${arc.limit === undefined ? '' : ` <= ${arc.limit}`}`);
  });
  const rows: string[] = [];
  instance.supplies.forEach((supply, s) => {
    const horizon = dayRows[s].length;
    for (let k = 0; k < horizon; k++) {
      const terms = dayRows[s][k];
      if (k + 1 < horizon) terms.push(`+ h${s}_${k}`);
      if (k > 0) terms.push(`- h${s}_${k - 1}`);
      rows.push(` s${s}_${k}: ${terms.join(' ')} <= ${supply.days ? supply.days[k] : supply.units}`);
    }
  });
  demandRows.forEach((terms, d) => {
    if (terms.length > 0) rows.push(` d${d}: ${terms.join(' ')} <= ${instance.demands[d].units}`);
  });
  const model = (objective: string, extraRow: string) =>
    `${objective}\nSubject To\n${rows.join('\n')}\n${extraRow}Bounds\n${bounds.join('\n')}\nEnd\n`;
  const weightPhase = highs.solve(model(`Maximize\n obj: ${weightTerms.join(' ')}`, ''));
  if (weightPhase.Status !== 'Optimal') throw new Error(`HiGHS weight phase: ${weightPhase.Status}`);
  const weightedUnits = Math.round(weightPhase.ObjectiveValue);
  const costPhase = highs.solve(
    model(`Minimize\n obj: ${costTerms.join(' ')}`, ` w: ${weightTerms.join(' ')} >= ${weightedUnits}\n`),
  );
  if (costPhase.Status !== 'Optimal') throw new Error(`HiGHS cost phase: ${costPhase.Status}`);
  return { weightedUnits, totalCost: Math.round(costPhase.ObjectiveValue * 1e6) / 1e6 };
}

/**
 * An optimality certificate that shares no code with the solver, cheap enough for 20k lines x 60 days:
 * rebuild the full day-by-day network with the reported flows (output held forward until used, leftovers
 * dumped on the last day), check feasibility, and check that the residual graph has no negative cycle
 * under the lexicographic cost (-priority, cost in cents) by Bellman-Ford rounds from all nodes at 0. No
 * negative residual cycle is exactly optimality of a min-cost flow, so it proves the solver's optimum.
 */
function certifyTimed(instance: AllocationInstance, result: AllocationResult, budgetMs = 120_000): string {
  const started = performance.now();
  const supplyIndex = new Map(instance.supplies.map((supply, index) => [supply.id, index]));
  const demandIndex = new Map(instance.demands.map((demand, index) => [demand.id, index]));
  const firstNode: number[] = [];
  let nodeCount = 0;
  for (const supply of instance.supplies) {
    firstNode.push(nodeCount);
    nodeCount += supply.days?.length ?? 1;
  }
  const demandBase = nodeCount;
  nodeCount += instance.demands.length;
  const root = nodeCount++;
  const flowOf = new Map(result.flows.map((flow) => [`${flow.supply}\u0000${flow.demand}`, flow.units]));
  const from: number[] = [];
  const to: number[] = [];
  const c0: number[] = [];
  const c1: number[] = [];
  const add = (u: number, v: number, primary: number, secondary: number) => {
    from.push(u);
    to.push(v);
    c0.push(primary);
    c1.push(secondary);
  };
  const used = instance.supplies.map((supply) => new Array<number>(supply.days?.length ?? 1).fill(0));
  const received = new Array<number>(instance.demands.length).fill(0);
  for (const arc of instance.arcs) {
    const s = supplyIndex.get(arc.supply)!;
    const d = demandIndex.get(arc.demand)!;
    const horizon = used[s].length;
    const due = arc.due ?? instance.demands[d].due;
    const day = instance.supplies[s].days === undefined ? 0 : due === undefined ? horizon - 1 : Math.min(due, horizon - 1);
    const x = flowOf.get(`${arc.supply}\u0000${arc.demand}`) ?? 0;
    const cents = Math.round(arc.cost * 100);
    if (Math.abs(cents - arc.cost * 100) > 1e-6) return 'not checked: costs need more than 2 decimals';
    if (x > (arc.limit ?? Number.POSITIVE_INFINITY)) return `infeasible: ${arc.supply} -> ${arc.demand} over its limit`;
    used[s][day] += x;
    received[d] += x;
    const u = firstNode[s] + day;
    const v = demandBase + d;
    const priority = instance.demands[d].priority;
    if (x < (arc.limit ?? Number.POSITIVE_INFINITY)) add(u, v, -priority, cents);
    if (x > 0) add(v, u, priority, -cents);
  }
  for (let s = 0; s < instance.supplies.length; s++) {
    const made = instance.supplies[s].days ?? [instance.supplies[s].units];
    let held = 0;
    for (let k = 0; k < made.length; k++) {
      held += made[k] - used[s][k];
      if (held < 0) return `infeasible: ${instance.supplies[s].id} ships more than it made by day ${k}`;
      const node = firstNode[s] + k;
      add(node, root, 0, 0);
      if (k + 1 < made.length) {
        add(node, node + 1, 0, 0);
        if (held > 0) add(node + 1, node, 0, 0);
      } else if (held > 0) add(root, node, 0, 0);
    }
  }
  for (let d = 0; d < instance.demands.length; d++) {
    const shortfall = instance.demands[d].units - received[d];
    if (shortfall < 0) return `infeasible: ${instance.demands[d].id} gets more than it asked`;
    add(root, demandBase + d, 0, 0);
    if (shortfall > 0) add(demandBase + d, root, 0, 0);
  }
  // Compressed adjacency, then rounds over the nodes whose distance changed in the previous round.
  const start = new Int32Array(nodeCount + 1);
  for (const u of from) start[u + 1]++;
  for (let v = 0; v < nodeCount; v++) start[v + 1] += start[v];
  const fill = start.slice(0, nodeCount);
  const order = new Int32Array(from.length);
  for (let e = 0; e < from.length; e++) order[fill[from[e]]++] = e;
  const d0 = new Float64Array(nodeCount);
  const d1 = new Float64Array(nodeCount);
  let active = new Uint8Array(nodeCount).fill(1);
  for (let round = 0; round <= nodeCount; round++) {
    const next = new Uint8Array(nodeCount);
    let changed = false;
    for (let u = 0; u < nodeCount; u++) {
      if (!active[u]) continue;
      for (let i = start[u]; i < start[u + 1]; i++) {
        const e = order[i];
        const v = to[e];
        const n0 = d0[u] + c0[e];
        const n1 = d1[u] + c1[e];
        if (n0 < d0[v] || (n0 === d0[v] && n1 < d1[v])) {
          d0[v] = n0;
          d1[v] = n1;
          next[v] = 1;
          changed = true;
        }
      }
    }
    if (!changed) return `optimal (no negative residual cycle; ${round + 1} rounds, ${((performance.now() - started) / 1000).toFixed(1)} s)`;
    if (performance.now() - started > budgetMs) return `inconclusive after ${round + 1} rounds`;
    active = next;
  }
  return 'NOT optimal: negative residual cycle';
}

/** Same model the tests use as an oracle, rebuilt here so the comparison times HiGHS on exactly the benchmark instance. */
function solveWithHighs(highs: Highs, instance: AllocationInstance): { weightedUnits: number; totalCost: number } {
  const supplyRows = new Map<string, string[]>();
  const demandRows = new Map<string, string[]>();
  const priority = new Map(instance.demands.map((demand) => [demand.id, demand.priority]));
  const weightTerms: string[] = [];
  const costTerms: string[] = [];
  const bounds: string[] = [];
  instance.arcs.forEach((arc, index) => {
    const variable = `x${index}`;
    supplyRows.set(arc.supply, [...(supplyRows.get(arc.supply) ?? []), variable]);
    demandRows.set(arc.demand, [...(demandRows.get(arc.demand) ?? []), variable]);
    weightTerms.push(`+ ${priority.get(arc.demand) ?? 0} ${variable}`);
    costTerms.push(`${arc.cost < 0 ? '-' : '+'} ${Math.abs(arc.cost)} ${variable}`);
    bounds.push(` 0 <= ${variable}${arc.limit === undefined ? '' : ` <= ${arc.limit}`}`);
  });
  if (instance.arcs.length === 0) return { weightedUnits: 0, totalCost: 0 };
  const rows: string[] = [];
  instance.supplies.forEach((supply, index) => {
    const terms = supplyRows.get(supply.id);
    if (terms) rows.push(` s${index}: + ${terms.join(' + ')} <= ${supply.units}`);
  });
  instance.demands.forEach((demand, index) => {
    const terms = demandRows.get(demand.id);
    if (terms) rows.push(` d${index}: + ${terms.join(' + ')} <= ${demand.units}`);
  });
  const model = (objective: string, extraRow: string) =>
    `${objective}\nSubject To\n${rows.join('\n')}\n${extraRow}Bounds\n${bounds.join('\n')}\nEnd\n`;
  const weightPhase = highs.solve(model(`Maximize\n obj: ${weightTerms.join(' ')}`, ''));
  if (weightPhase.Status !== 'Optimal') throw new Error(`HiGHS weight phase: ${weightPhase.Status}`);
  const weightedUnits = Math.round(weightPhase.ObjectiveValue);
  const costPhase = highs.solve(
    model(`Minimize\n obj: ${costTerms.join(' ')}`, ` w: ${weightTerms.join(' ')} >= ${weightedUnits}\n`),
  );
  if (costPhase.Status !== 'Optimal') throw new Error(`HiGHS cost phase: ${costPhase.Status}`);
  return { weightedUnits, totalCost: Math.round(costPhase.ObjectiveValue * 1e6) / 1e6 };
}

type Options = {
  sizes: number[];
  highsMaxSize: number;
  timedSizes: number[];
  horizon: number;
  timedHighsMaxSize: number;
  emitInstance?: number;
  emitTimedInstance?: number;
};

function parseArgs(argv: readonly string[]): Options {
  const usage =
    'usage: allocate.ts [--sizes 1000,5000,20000|none] [--highs-max-size 5000] ' +
    `[--timed-sizes 1000,5000,20000|none] [--days 60] [--timed-highs-max-size ${DEFAULT_TIMED_HIGHS_MAX_SIZE}] ` +
    '[--emit-instance 20000] [--emit-timed-instance 20000]';
  const options: Options = {
    sizes: DEFAULT_SIZES,
    highsMaxSize: DEFAULT_HIGHS_MAX_SIZE,
    timedSizes: DEFAULT_TIMED_SIZES,
    horizon: DEFAULT_HORIZON,
    timedHighsMaxSize: DEFAULT_TIMED_HIGHS_MAX_SIZE,
  };
  const list = (text: string) =>
    text.trim() === 'none'
      ? []
      : text.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part.trim())));
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--sizes') {
      options.sizes = list(value());
    } else if (flag === '--highs-max-size') {
      options.highsMaxSize = Number(value());
    } else if (flag === '--timed-sizes') {
      options.timedSizes = list(value());
    } else if (flag === '--days') {
      options.horizon = Number(value());
    } else if (flag === '--timed-highs-max-size') {
      options.timedHighsMaxSize = Number(value());
    } else if (flag === '--emit-instance') {
      options.emitInstance = Number(value());
    } else if (flag === '--emit-timed-instance') {
      options.emitTimedInstance = Number(value());
    } else {
      throw new Error(`unknown argument ${argv[i]}; ${usage}`);
    }
  }
  const isSize = (size: number) => Number.isInteger(size) && size > 0;
  if (!options.sizes.every(isSize) || !options.timedSizes.every(isSize)) {
    throw new Error(`--sizes and --timed-sizes expect a comma-separated list of positive integers (or none), e.g. --sizes 1000,5000; ${usage}`);
  }
  if (options.sizes.length === 0 && options.timedSizes.length === 0) throw new Error(`nothing to run; ${usage}`);
  if (!isSize(options.horizon)) throw new Error(`--days expects a positive integer; ${usage}`);
  if (Number.isNaN(options.highsMaxSize) || Number.isNaN(options.timedHighsMaxSize)) {
    throw new Error(`--highs-max-size and --timed-highs-max-size expect a number; ${usage}`);
  }
  if (options.emitInstance !== undefined && !isSize(options.emitInstance)) {
    throw new Error(`--emit-instance expects a positive integer; ${usage}`);
  }
  if (options.emitTimedInstance !== undefined && !isSize(options.emitTimedInstance)) {
    throw new Error(`--emit-timed-instance expects a positive integer; ${usage}`);
  }
  return options;
}

function time<T>(run: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = run();
  return { value, ms: performance.now() - start };
}

const formatCost = (value: number) => value.toFixed(2);

const seedFor = (size: number) => 0xf0c4a9 + size;

type Section = {
  sizes: readonly number[];
  highsMaxSize: number;
  highsFlag: string;
  sizeHeader: string;
  label: (size: number) => string;
  generate: (size: number) => AllocationInstance;
  lp: (highs: Highs, instance: AllocationInstance) => { weightedUnits: number; totalCost: number };
  network?: (instance: AllocationInstance) => string;
  certify?: (instance: AllocationInstance, result: AllocationResult) => string;
};

/** One markdown table: the exact solver, greedy and (up to highsMaxSize) HiGHS on each generated instance. */
async function runSection(section: Section, loadHighs: () => Promise<Highs>): Promise<string[]> {
  const { sizes, highsMaxSize, highsFlag, label } = section;
  const highs = sizes.some((size) => size <= highsMaxSize) ? await loadHighs() : undefined;
  console.log(
    `| ${section.sizeHeader} | arcs |${section.network ? ' network (nodes / arcs) |' : ''} solver ms | solver weightedUnits | solver totalCost | greedy ms | greedy weightedUnits | greedy totalCost | gain over greedy (weighted units) | HiGHS LP ms | HiGHS weightedUnits | HiGHS totalCost |${section.certify ? ' residual-cycle check |' : ''}`,
  );
  console.log(`|---|---:|${section.network ? '---:|' : ''}---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|${section.certify ? '---|' : ''}`);
  const notes: string[] = [];
  const highsTimes: { size: number; ms: number }[] = [];
  for (const size of sizes) {
    const instance = section.generate(size);
    const solver = time(() => solveAllocation(instance));
    const greedy = time(() => greedyAllocation(instance));
    const gain = greedy.value.weightedUnits === 0 ? 0 : (solver.value.weightedUnits / greedy.value.weightedUnits - 1) * 100;
    let highsCells = ['skipped', '-', '-'];
    if (highs && size <= highsMaxSize) {
      const lp = time(() => section.lp(highs, instance));
      highsTimes.push({ size, ms: lp.ms });
      highsCells = [lp.ms.toFixed(0), String(lp.value.weightedUnits), formatCost(lp.value.totalCost)];
      const costGap = Math.abs(lp.value.totalCost - solver.value.totalCost);
      if (lp.value.weightedUnits !== solver.value.weightedUnits || costGap > 1e-6 * Math.max(1, Math.abs(lp.value.totalCost))) {
        notes.push(
          `MISMATCH at ${label(size)}: solver (${solver.value.weightedUnits}, ${solver.value.totalCost}) vs HiGHS (${lp.value.weightedUnits}, ${lp.value.totalCost}).`,
        );
        process.exitCode = 1;
      } else {
        notes.push(`HiGHS agrees at ${label(size)}: same weighted units and cost.`);
      }
    } else {
      notes.push(`HiGHS skipped at ${label(size)}: ${highsSkipReason(size, highsMaxSize, highsTimes, highsFlag)}`);
    }
    const certificate = section.certify?.(instance, solver.value);
    if (certificate !== undefined && !certificate.startsWith('optimal')) {
      notes.push(`CHECK FAILED at ${label(size)}: ${certificate}.`);
      process.exitCode = 1;
    }
    console.log(
      `| ${label(size)} | ${instance.arcs.length} |${section.network ? ` ${section.network(instance)} |` : ''} ${solver.ms.toFixed(0)} | ${solver.value.weightedUnits} | ${formatCost(solver.value.totalCost)} | ` +
        `${greedy.ms.toFixed(0)} | ${greedy.value.weightedUnits} | ${formatCost(greedy.value.totalCost)} | +${gain.toFixed(2)}% | ${highsCells.join(' | ')} |` +
        (certificate === undefined ? '' : ` ${certificate} |`),
    );
  }
  console.log('');
  return notes;
}

/** Size of the full day-by-day network HiGHS gets (the solver merges days no arc leaves from). */
function timedNetworkSize(instance: AllocationInstance): string {
  let nodes = instance.demands.length;
  let arcs = instance.arcs.length;
  for (const supply of instance.supplies) {
    const horizon = supply.days?.length ?? 1;
    nodes += horizon;
    arcs += horizon - 1;
  }
  return `${nodes} / ${arcs}`;
}

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
    return;
  }
  const { sizes, highsMaxSize, emitInstance, emitTimedInstance, timedSizes, horizon, timedHighsMaxSize } = options;
  if (emitInstance !== undefined) {
    // Lets the CLI be exercised on exactly the benchmark instance: --emit-instance 20000 | npm run -s allocate
    process.stdout.write(`${JSON.stringify(generateInstance(emitInstance, seedFor(emitInstance)))}\n`);
    return;
  }
  if (emitTimedInstance !== undefined) {
    process.stdout.write(`${JSON.stringify(generateTimedInstance(emitTimedInstance, horizon, seedFor(emitTimedInstance)))}\n`);
    return;
  }
  let highsPromise: Promise<Highs> | undefined;
  const loadHighs = () => (highsPromise ??= highsLoader());
  const notes: string[] = [];
  if (sizes.length > 0) {
    console.log('### Transportation problem (untimed supplies)');
    console.log('');
    notes.push(
      ...(await runSection(
        {
          sizes,
          highsMaxSize,
          highsFlag: '--highs-max-size',
          sizeHeader: 'size (supplies x demands)',
          label: (size) => `${size} x ${size}`,
          generate: (size) => generateInstance(size, seedFor(size)),
          lp: solveWithHighs,
        },
        loadHighs,
      )),
    );
  }
  if (timedSizes.length > 0) {
    console.log(`### Time-expanded (production lines x demands x ${horizon} days)`);
    console.log('');
    notes.push(
      ...(await runSection(
        {
          sizes: timedSizes,
          highsMaxSize: timedHighsMaxSize,
          highsFlag: '--timed-highs-max-size',
          sizeHeader: 'lines x demands x days',
          label: (size) => `${size} x ${size} x ${horizon}`,
          generate: (size) => generateTimedInstance(size, horizon, seedFor(size)),
          lp: solveTimedWithHighs,
          network: timedNetworkSize,
          certify: (instance, result) => certifyTimed(instance, result),
        },
        loadHighs,
      )),
    );
  }
  console.log(
    'HiGHS column: the same instance as a two-phase LP (max weighted units, then min cost at that weight) in WebAssembly HiGHS; ' +
      'for the time-expanded instances, on the full day-by-day network (one row per line per day, holding variables between days). ' +
      'Residual-cycle check: an optimality certificate independent of the solver (rebuild the full day-by-day network with the solver\'s flows, ' +
      'check feasibility and that Bellman-Ford finds no negative cycle under the lexicographic cost (-priority, cost)); it runs at every size. ' +
      'Greedy serves the highest priority first, then the earliest due date, then the cheapest lane, each lane taking the latest output that still makes its due date. ' +
      'Solver and greedy times exclude instance generation and validation.',
  );
  for (const note of notes) console.log(note);
}

/** Extrapolates from the sizes HiGHS did run, so the reader sees why the big instance is not attempted. */
function highsSkipReason(
  size: number,
  highsMaxSize: number,
  measured: readonly { size: number; ms: number }[],
  flag = '--highs-max-size',
): string {
  const base = `above ${flag} ${highsMaxSize}, because a run over ~60 s would dominate the benchmark`;
  if (measured.length === 1) {
    const [a] = measured;
    return `${base}; HiGHS took ${(a.ms / 1000).toFixed(0)} s at ${a.size}, so at least ~${((a.ms * size) / a.size / 1000).toFixed(0)} s here even if it only grew linearly.`;
  }
  if (measured.length < 2) return `${base}.`;
  const [a, b] = measured.slice(-2);
  const exponent = Math.log(b.ms / a.ms) / Math.log(b.size / a.size);
  const estimate = b.ms * (size / b.size) ** exponent;
  return `${base}; HiGHS time grew like size^${exponent.toFixed(1)} between ${a.size} and ${b.size}, which extrapolates to ~${(estimate / 1000).toFixed(0)} s here.`;
}

await main();

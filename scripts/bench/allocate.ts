import highsLoader from 'highs';
import {
  AllocationInstanceSchema,
  greedyAllocation,
  solveAllocation,
  type AllocationInstance,
} from '../../server/matching/allocation';

type Highs = Awaited<ReturnType<typeof highsLoader>>;

const DEFAULT_SIZES = [1000, 5000, 20000];
const DEFAULT_HIGHS_MAX_SIZE = 5000; // HiGHS needs ~20 s at 5k and several minutes at 20k

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

type Options = { sizes: number[]; highsMaxSize: number; emitInstance?: number };

function parseArgs(argv: readonly string[]): Options {
  const usage = 'usage: allocate.ts [--sizes 1000,5000,20000] [--highs-max-size 5000] [--emit-instance 20000]';
  const options: Options = { sizes: DEFAULT_SIZES, highsMaxSize: DEFAULT_HIGHS_MAX_SIZE };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--sizes') {
      options.sizes = value()
        .split(',')
        .map((part) => Number(part.trim()));
    } else if (flag === '--highs-max-size') {
      options.highsMaxSize = Number(value());
    } else if (flag === '--emit-instance') {
      options.emitInstance = Number(value());
    } else {
      throw new Error(`unknown argument ${argv[i]}; ${usage}`);
    }
  }
  const isSize = (size: number) => Number.isInteger(size) && size > 0;
  if (options.sizes.length === 0 || !options.sizes.every(isSize)) {
    throw new Error(`--sizes expects a comma-separated list of positive integers, e.g. --sizes 1000,5000; ${usage}`);
  }
  if (Number.isNaN(options.highsMaxSize)) throw new Error(`--highs-max-size expects a number; ${usage}`);
  if (options.emitInstance !== undefined && !isSize(options.emitInstance)) {
    throw new Error(`--emit-instance expects a positive integer; ${usage}`);
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

async function main(): Promise<void> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
    return;
  }
  const { sizes, highsMaxSize, emitInstance } = options;
  if (emitInstance !== undefined) {
    // Lets the CLI be exercised on exactly the benchmark instance: --emit-instance 20000 | npm run -s allocate
    process.stdout.write(`${JSON.stringify(generateInstance(emitInstance, seedFor(emitInstance)))}\n`);
    return;
  }
  const highs = sizes.some((size) => size <= highsMaxSize) ? await highsLoader() : undefined;
  console.log(
    '| size (supplies x demands) | arcs | solver ms | solver weightedUnits | solver totalCost | greedy ms | greedy weightedUnits | greedy totalCost | gain over greedy (weighted units) | HiGHS LP ms | HiGHS weightedUnits | HiGHS totalCost |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const notes: string[] = [];
  const highsTimes: { size: number; ms: number }[] = [];
  for (const size of sizes) {
    const instance = generateInstance(size, seedFor(size));
    const solver = time(() => solveAllocation(instance));
    const greedy = time(() => greedyAllocation(instance));
    const gain = greedy.value.weightedUnits === 0 ? 0 : (solver.value.weightedUnits / greedy.value.weightedUnits - 1) * 100;
    let highsCells = ['skipped', '-', '-'];
    if (highs && size <= highsMaxSize) {
      const lp = time(() => solveWithHighs(highs, instance));
      highsTimes.push({ size, ms: lp.ms });
      highsCells = [lp.ms.toFixed(0), String(lp.value.weightedUnits), formatCost(lp.value.totalCost)];
      const costGap = Math.abs(lp.value.totalCost - solver.value.totalCost);
      if (lp.value.weightedUnits !== solver.value.weightedUnits || costGap > 1e-6 * Math.max(1, Math.abs(lp.value.totalCost))) {
        notes.push(
          `MISMATCH at ${size} x ${size}: solver (${solver.value.weightedUnits}, ${solver.value.totalCost}) vs HiGHS (${lp.value.weightedUnits}, ${lp.value.totalCost}).`,
        );
        process.exitCode = 1;
      }
    } else {
      notes.push(`HiGHS skipped at ${size} x ${size}: ${highsSkipReason(size, highsMaxSize, highsTimes)}`);
    }
    console.log(
      `| ${size} x ${size} | ${instance.arcs.length} | ${solver.ms.toFixed(0)} | ${solver.value.weightedUnits} | ${formatCost(solver.value.totalCost)} | ` +
        `${greedy.ms.toFixed(0)} | ${greedy.value.weightedUnits} | ${formatCost(greedy.value.totalCost)} | +${gain.toFixed(2)}% | ${highsCells.join(' | ')} |`,
    );
  }
  console.log('');
  console.log(
    'HiGHS column: the same instance as a two-phase LP (max weighted units, then min cost at that weight) in WebAssembly HiGHS; ' +
      'solver and greedy times exclude instance generation and validation.',
  );
  for (const note of notes) console.log(note);
}

/** Extrapolates from the sizes HiGHS did run, so the reader sees why the big instance is not attempted. */
function highsSkipReason(size: number, highsMaxSize: number, measured: readonly { size: number; ms: number }[]): string {
  const base = `above --highs-max-size ${highsMaxSize}, because a run over ~60 s would dominate the benchmark`;
  if (measured.length < 2) return `${base}.`;
  const [a, b] = measured.slice(-2);
  const exponent = Math.log(b.ms / a.ms) / Math.log(b.size / a.size);
  const estimate = b.ms * (size / b.size) ** exponent;
  return `${base}; HiGHS time grew like size^${exponent.toFixed(1)} between ${a.size} and ${b.size}, which extrapolates to ~${(estimate / 1000).toFixed(0)} s here.`;
}

await main();

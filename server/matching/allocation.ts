import { z } from 'zod';

/**
 * The global allocation: supplies, demands and the arcs between them, solved exactly for the most
 * priority-weighted units and then the least cost.
 *
 * Instance format (JSON on the `allocate` CLI, or built directly and passed to `solveAllocation`):
 *
 *   supplies: [{ id, units?, days? }]
 *     `days` (optional, non-empty array of non-negative integers) is the supply's output per day bucket:
 *     days[k] units are made on day index k (0 = today). Output can be held for a later due date, never
 *     moved earlier. `units` may then be omitted; if given it must equal the sum of `days`. Without `days`
 *     the supply is one bucket of `units` (required) available for every due date, as before.
 *   demands:  [{ id, units, priority, due? }]
 *     `due` (optional, non-negative integer day index): units for this demand may only come from a
 *     supply's buckets 0..due (buckets 0..min(due, days.length - 1)). Absent: any day.
 *   arcs:     [{ supply, demand, cost, limit?, due? }]   one per (supply, demand) pair, as before.
 *     `due` on an arc (optional, same meaning) overrides the demand's for that pair only, for when the due
 *     day depends on the supplier (deadline minus that lane's transit days).
 *
 * The time-expanded network: per supply one node per day bucket holding that day's output, holding arcs
 * bucket k -> k+1 (cost 0, uncapacitated), and each (supply, demand) arc leaving from bucket
 * min(due, days.length - 1), so earlier output flows forward to it. Buckets that no arc leaves from are
 * merged into the next one an arc does leave from (the same network, fewer nodes); output after the last
 * such bucket is useless. Flows are reported per pair, summed over days. An instance without `days` and
 * `due` builds exactly the network (and pivots) it always did, so its results are unchanged.
 */
const SupplySchema = z
  .strictObject({
    id: z.string().min(1),
    units: z.number().int().nonnegative().optional(),
    days: z.array(z.number().int().nonnegative()).min(1, 'days needs at least one day bucket (omit it for an untimed supply)').optional(),
  })
  .superRefine((supply, ctx) => {
    if (supply.days === undefined) {
      if (supply.units === undefined) {
        ctx.addIssue({ code: 'custom', path: ['units'], message: 'units is required when the supply has no days' });
      }
      return;
    }
    const total = supply.days.reduce((sum, units) => sum + units, 0);
    if (total > Number.MAX_SAFE_INTEGER) {
      ctx.addIssue({ code: 'custom', path: ['days'], message: 'the days add up to more than a safe integer' });
    } else if (supply.units !== undefined && supply.units !== total) {
      ctx.addIssue({
        code: 'custom',
        path: ['units'],
        message: `units (${supply.units}) must equal the sum of days (${total}), or be omitted`,
      });
    }
  })
  .transform(({ id, units, days }): { id: string; units: number; days?: number[] } =>
    days === undefined ? { id, units: units ?? 0 } : { id, units: units ?? days.reduce((sum, u) => sum + u, 0), days },
  );

const DemandSchema = z.strictObject({
  id: z.string().min(1),
  units: z.number().int().nonnegative(),
  priority: z.number().int().positive(),
  due: z.number().int().nonnegative().optional(),
});

const ArcSchema = z.strictObject({
  supply: z.string().min(1),
  demand: z.string().min(1),
  cost: z.number(),
  limit: z.number().int().nonnegative().optional(),
  due: z.number().int().nonnegative().optional(),
});

/** Cross-field rules (unique ids, known endpoints, one arc per pair) live here so callers get every offending path at once instead of a solver crash. */
export const AllocationInstanceSchema = z
  .strictObject({
    supplies: z.array(SupplySchema),
    demands: z.array(DemandSchema),
    arcs: z.array(ArcSchema),
  })
  .superRefine((instance, ctx) => {
    const supplyIds = new Set<string>();
    instance.supplies.forEach((supply, index) => {
      if (supplyIds.has(supply.id)) {
        ctx.addIssue({ code: 'custom', path: ['supplies', index, 'id'], message: `duplicate supply id "${supply.id}"` });
      }
      supplyIds.add(supply.id);
    });
    const demandIds = new Set<string>();
    instance.demands.forEach((demand, index) => {
      if (demandIds.has(demand.id)) {
        ctx.addIssue({ code: 'custom', path: ['demands', index, 'id'], message: `duplicate demand id "${demand.id}"` });
      }
      demandIds.add(demand.id);
    });
    const pairs = new Set<string>();
    instance.arcs.forEach((arc, index) => {
      if (!supplyIds.has(arc.supply)) {
        ctx.addIssue({ code: 'custom', path: ['arcs', index, 'supply'], message: `unknown supply id "${arc.supply}"` });
      }
      if (!demandIds.has(arc.demand)) {
        ctx.addIssue({ code: 'custom', path: ['arcs', index, 'demand'], message: `unknown demand id "${arc.demand}"` });
      }
      const pair = JSON.stringify([arc.supply, arc.demand]);
      if (pairs.has(pair)) {
        ctx.addIssue({
          code: 'custom',
          path: ['arcs', index],
          message: `duplicate arc from "${arc.supply}" to "${arc.demand}" (flows are reported per pair)`,
        });
      }
      pairs.add(pair);
    });
  });

/** The validated input; `limit` absent means the arc is bounded only by its endpoints. */
export type AllocationInstance = z.infer<typeof AllocationInstanceSchema>;

/** What the schema accepts (a supply with `days` may omit `units`); parse it to get an AllocationInstance. */
export type AllocationInstanceInput = z.input<typeof AllocationInstanceSchema>;

/** One shipment; pairs are unique because the schema rejects duplicate arcs. */
export type AllocationFlow = { supply: string; demand: string; units: number };

/** Totals are recomputed from the flows with the original costs, so they never carry the solver's internal cost scaling. */
export type AllocationResult = {
  flows: AllocationFlow[];
  weightedUnits: number;
  unitsAllocated: number;
  totalCost: number;
};

/** `bucket` is the day bucket of the supply the arc leaves from (0 for a supply without days). */
type IndexedArc = { supply: number; demand: number; due: number; bucket: number; cost: number; capacity: number; arcIndex: number };

/** The day bucket an arc to a demand due at `due` leaves from: the last bucket whose output is made by then. */
function bucketFor(days: readonly number[] | undefined, due: number | undefined): number {
  if (days === undefined) return 0;
  const last = days.length - 1;
  return due === undefined ? last : Math.max(0, Math.min(last, Math.floor(due)));
}

/** Output of buckets 0..k, per supply (one entry, `units`, for a supply without days). */
function prefixOutput(instance: AllocationInstance): number[][] {
  return instance.supplies.map((supply) => {
    if (supply.days === undefined) return [supply.units];
    let sum = 0;
    return supply.days.map((units) => (sum += units));
  });
}

function indexArcs(instance: AllocationInstance, prefix: readonly number[][] = prefixOutput(instance)): IndexedArc[] {
  const supplyIndex = new Map(instance.supplies.map((supply, index) => [supply.id, index]));
  const demandIndex = new Map(instance.demands.map((demand, index) => [demand.id, index]));
  return instance.arcs.map((arc, arcIndex) => {
    const supply = supplyIndex.get(arc.supply);
    const demand = demandIndex.get(arc.demand);
    if (supply === undefined || demand === undefined) {
      throw new Error(`arc ${arcIndex} references an unknown supply or demand; validate with AllocationInstanceSchema first`);
    }
    const bucket = bucketFor(instance.supplies[supply].days, arc.due ?? instance.demands[demand].due);
    const capacity = Math.min(arc.limit ?? Number.POSITIVE_INFINITY, prefix[supply][bucket], instance.demands[demand].units);
    const due = arc.due ?? instance.demands[demand].due ?? Number.POSITIVE_INFINITY;
    return { supply, demand, due, bucket, cost: arc.cost, capacity, arcIndex };
  });
}

function buildResult(instance: AllocationInstance, units: ArrayLike<number>): AllocationResult {
  const flows: AllocationFlow[] = [];
  const priorityById = new Map(instance.demands.map((demand) => [demand.id, demand.priority]));
  const usedCosts: number[] = [];
  const usedUnits: number[] = [];
  let weightedUnits = 0;
  let unitsAllocated = 0;
  instance.arcs.forEach((arc, index) => {
    const amount = units[index];
    if (amount <= 0) return;
    flows.push({ supply: arc.supply, demand: arc.demand, units: amount });
    weightedUnits += (priorityById.get(arc.demand) ?? 0) * amount;
    unitsAllocated += amount;
    usedCosts.push(arc.cost);
    usedUnits.push(amount);
  });
  flows.sort((a, b) =>
    a.supply < b.supply ? -1 : a.supply > b.supply ? 1 : a.demand < b.demand ? -1 : a.demand > b.demand ? 1 : 0,
  );
  const roundedCost = Math.round(sumCosts(usedCosts, usedUnits) * 1e6) / 1e6;
  return { flows, weightedUnits, unitsAllocated, totalCost: roundedCost === 0 ? 0 : roundedCost };
}

/** Smallest power of ten (up to 10^6) that turns every cost into an integer, or undefined when the costs have more decimals. */
function exactDecimalScale(costs: readonly number[]): number | undefined {
  for (let decimals = 0; decimals <= 6; decimals++) {
    const scale = 10 ** decimals;
    const exact = costs.every((cost) => {
      const scaled = cost * scale;
      return Math.abs(scaled - Math.round(scaled)) <= 1e-9 * Math.max(1, Math.abs(scaled));
    });
    if (exact) return scale;
  }
  return undefined;
}

/** Summing in integer cents (or whatever decimal unit the costs use) keeps large totals like 41824473.70 from drifting to ...700001. */
function sumCosts(costs: readonly number[], amounts: readonly number[]): number {
  const scale = exactDecimalScale(costs);
  if (scale !== undefined) {
    let total = 0;
    let magnitude = 0;
    for (let i = 0; i < costs.length; i++) {
      const term = Math.round(costs[i] * scale) * amounts[i];
      total += term;
      magnitude += Math.abs(term);
    }
    if (magnitude <= Number.MAX_SAFE_INTEGER) return total / scale;
  }
  // Neumaier-compensated float sum for costs with more than six decimals or huge totals.
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < costs.length; i++) {
    const term = costs[i] * amounts[i];
    const next = sum + term;
    compensation += Math.abs(sum) >= Math.abs(term) ? sum - next + term : term - next + sum;
    sum = next;
  }
  return sum + compensation;
}

/** Exact integer costs keep pivots free of float drift; the scale is the fewest decimals (at most 6) that represent every cost, reduced only if potentials could leave the safe-integer range. */
function chooseCostScale(costs: readonly number[], nodeCount: number): number {
  const maxAbs = costs.reduce((max, cost) => Math.max(max, Math.abs(cost)), 0);
  const isSafe = (scale: number) => Math.round(maxAbs * scale) * (2 * nodeCount + 1) <= Number.MAX_SAFE_INTEGER;
  let scale = exactDecimalScale(costs) ?? 1e6;
  while (scale >= 1 && !isSafe(scale)) scale /= 10;
  if (scale < 1) throw new RangeError('arc costs are too large to optimise exactly with safe integers');
  return scale;
}

type FlowNetwork = {
  nodeCount: number;
  root: number;
  source: Int32Array;
  target: Int32Array;
  capacity: Float64Array;
  /** First cost component: minus the demand priority, so minimising it maximises weighted units. */
  primaryCost: Float64Array;
  /** Second cost component: scaled integer money cost, compared only when the first components tie. */
  secondaryCost: Float64Array;
};

const STATE_LOWER = 1;
const STATE_UPPER = -1;
const STATE_TREE = 0;

/**
 * Primal network simplex with a strongly feasible spanning tree (Cunningham's leaving-arc rule, so
 * degenerate pivots cannot cycle) and block-search pricing. Costs are pairs compared
 * lexicographically; pairs form an ordered abelian group, so potentials, reduced costs and the
 * optimality test work component-wise exactly as with scalar costs, and no big-M weight is needed.
 * The initial tree is every node hanging from the root with its slack arc, which is already a
 * feasible, non-degenerate basis, so no artificial costs are needed either — unless `start` gives
 * another strongly feasible tree (`pred`: each node's tree arc, its flows in `initialFlow`), as a warm
 * start does. Returns the flows and the final tree.
 */
function networkSimplex(net: FlowNetwork, initialFlow: Float64Array, start?: { pred: Int32Array; pivotLimit: number }): { flow: Float64Array; pred: Int32Array; state: Int8Array } {
  const { nodeCount, root, source, target, capacity, primaryCost, secondaryCost } = net;
  const arcCount = source.length;
  const flow = initialFlow;
  const state = new Int8Array(arcCount);
  const parent = new Int32Array(nodeCount).fill(-1);
  const pred = new Int32Array(nodeCount).fill(-1);
  const predUp = new Uint8Array(nodeCount); // 1: pred arc points from the node to its parent
  const depth = new Int32Array(nodeCount);
  const firstChild = new Int32Array(nodeCount).fill(-1);
  const nextSibling = new Int32Array(nodeCount).fill(-1);
  const prevSibling = new Int32Array(nodeCount).fill(-1);
  const pi0 = new Float64Array(nodeCount);
  const pi1 = new Float64Array(nodeCount);

  const addChild = (p: number, c: number) => {
    const head = firstChild[p];
    nextSibling[c] = head;
    prevSibling[c] = -1;
    if (head >= 0) prevSibling[head] = c;
    firstChild[p] = c;
  };
  const removeChild = (p: number, c: number) => {
    const prev = prevSibling[c];
    const next = nextSibling[c];
    if (prev >= 0) nextSibling[prev] = next;
    else firstChild[p] = next;
    if (next >= 0) prevSibling[next] = prev;
  };

  if (start) {
    pred.set(start.pred);
  } else {
    // Basis: the slack arc of every node (the caller put them there with their initial flow).
    for (let e = 0; e < arcCount; e++) {
      const s = source[e];
      const t = target[e];
      if (s === root && pred[t] < 0 && t !== root) pred[t] = e;
      else if (t === root && pred[s] < 0 && s !== root) pred[s] = e;
    }
  }
  // Non-tree arcs sit at a bound: at their capacity when they carry flow, else at zero.
  for (let e = 0; e < arcCount; e++) state[e] = flow[e] > 0 ? STATE_UPPER : STATE_LOWER;
  // Orient the tree from the root, breadth first: parents, depths and potentials (tree arcs have zero reduced
  // cost: cost + pi[source] - pi[target] = 0).
  const treeArcs: number[] = [];
  for (let v = 0; v < nodeCount; v++) {
    if (v === root) continue;
    if (pred[v] < 0) throw new Error(`node ${v} has no tree arc`);
    state[pred[v]] = STATE_TREE;
    treeArcs.push(pred[v]);
  }
  const oriented = orientTree(nodeCount, root, source, target, treeArcs);
  for (let i = 1; i < nodeCount; i++) {
    const v = oriented.order[i];
    const u = oriented.parent[v];
    const e = oriented.pred[v];
    parent[v] = u;
    pred[v] = e;
    predUp[v] = source[e] === v ? 1 : 0;
    depth[v] = depth[u] + 1;
    addChild(u, v);
    const sign = predUp[v] ? -1 : 1;
    pi0[v] = pi0[u] + sign * primaryCost[e];
    pi1[v] = pi1[u] + sign * secondaryCost[e];
  }
  const pivotLimit = start?.pivotLimit ?? Number.POSITIVE_INFINITY;
  let pivots = 0;

  const blockSize = Math.max(10, Math.ceil(Math.sqrt(arcCount)));
  let nextArc = 0;

  const findEnteringArc = (): number => {
    let best = -1;
    let best0 = 0;
    let best1 = 0;
    let count = blockSize;
    let e = nextArc;
    for (let scanned = 0; scanned < arcCount; scanned++) {
      const s = state[e];
      if (s !== STATE_TREE) {
        const u = source[e];
        const v = target[e];
        const r0 = s * (primaryCost[e] + pi0[u] - pi0[v]);
        if (r0 <= best0) {
          const r1 = s * (secondaryCost[e] + pi1[u] - pi1[v]);
          if (r0 < best0 || r1 < best1) {
            best0 = r0;
            best1 = r1;
            best = e;
          }
        }
      }
      e = e + 1 === arcCount ? 0 : e + 1;
      if (--count === 0) {
        if (best >= 0) break;
        count = blockSize;
      }
    }
    nextArc = e;
    return best;
  };

  const refreshSubtree = (top: number) => {
    const update = (v: number) => {
      const p = parent[v];
      const e = pred[v];
      const sign = predUp[v] ? -1 : 1;
      depth[v] = depth[p] + 1;
      pi0[v] = pi0[p] + sign * primaryCost[e];
      pi1[v] = pi1[p] + sign * secondaryCost[e];
    };
    update(top);
    let v = top;
    for (;;) {
      const child = firstChild[v];
      if (child >= 0) {
        v = child;
        update(v);
        continue;
      }
      while (v !== top && nextSibling[v] < 0) v = parent[v];
      if (v === top) return;
      v = nextSibling[v];
      update(v);
    }
  };

  for (let inArc = findEnteringArc(); inArc >= 0; inArc = findEnteringArc()) {
    if (++pivots > pivotLimit) throw new PivotLimit();
    const inState = state[inArc];
    const first = inState === STATE_LOWER ? source[inArc] : target[inArc];
    const second = inState === STATE_LOWER ? target[inArc] : source[inArc];

    let a = first;
    let b = second;
    while (depth[a] > depth[b]) a = parent[a];
    while (depth[b] > depth[a]) b = parent[b];
    while (a !== b) {
      a = parent[a];
      b = parent[b];
    }
    const join = a;

    // Cycle orientation: join -> first (tree), first -> second (entering arc), second -> join (tree).
    // Ties go to the last blocking arc met along that orientation, which keeps the tree strongly feasible.
    let delta = capacity[inArc];
    let leavingSide = 0;
    let uOut = -1;
    for (let u = first; u !== join; u = parent[u]) {
      const e = pred[u];
      const residual = predUp[u] ? flow[e] : capacity[e] - flow[e];
      if (residual < delta) {
        delta = residual;
        uOut = u;
        leavingSide = 1;
      }
    }
    for (let u = second; u !== join; u = parent[u]) {
      const e = pred[u];
      const residual = predUp[u] ? capacity[e] - flow[e] : flow[e];
      if (residual <= delta) {
        delta = residual;
        uOut = u;
        leavingSide = 2;
      }
    }
    if (delta === Number.POSITIVE_INFINITY) throw new Error('unbounded negative cycle: every arc needs a finite capacity');

    if (delta > 0) {
      const signed = inState * delta;
      flow[inArc] += signed;
      for (let u = source[inArc]; u !== join; u = parent[u]) flow[pred[u]] -= (predUp[u] ? 1 : -1) * signed;
      for (let u = target[inArc]; u !== join; u = parent[u]) flow[pred[u]] += (predUp[u] ? 1 : -1) * signed;
    }

    if (leavingSide === 0) {
      state[inArc] = -inState;
      continue;
    }
    const outArc = pred[uOut];
    state[inArc] = STATE_TREE;
    state[outArc] = flow[outArc] === 0 ? STATE_LOWER : STATE_UPPER;

    const uIn = leavingSide === 1 ? first : second;
    const vIn = leavingSide === 1 ? second : first;

    // Re-hang the subtree cut off by the leaving arc: reverse the stem path uIn .. uOut.
    let child = uIn;
    let newParent = vIn;
    let newPred = inArc;
    let newUp = source[inArc] === uIn ? 1 : 0;
    for (;;) {
      const oldParent = parent[child];
      const oldPred = pred[child];
      const oldUp = predUp[child];
      removeChild(oldParent, child);
      parent[child] = newParent;
      pred[child] = newPred;
      predUp[child] = newUp;
      addChild(newParent, child);
      if (child === uOut) break;
      newParent = child;
      newPred = oldPred;
      newUp = oldUp ? 0 : 1;
      child = oldParent;
    }
    refreshSubtree(uIn);
  }
  return { flow, pred, state };
}

/** A spanning tree given by its arcs, oriented from the root: its nodes breadth first, each one's parent and tree arc. */
function orientTree(nodeCount: number, root: number, source: Int32Array, target: Int32Array, treeArcs: readonly number[]) {
  // adjacency of the tree arcs: per node a linked list of slots
  const adjHead = new Int32Array(nodeCount).fill(-1);
  const adjNext = new Int32Array(2 * treeArcs.length);
  const adjArc = new Int32Array(2 * treeArcs.length);
  let slots = 0;
  for (const e of treeArcs) {
    for (let side = 0; side < 2; side++) {
      const end = side === 0 ? source[e] : target[e];
      adjArc[slots] = e;
      adjNext[slots] = adjHead[end];
      adjHead[end] = slots++;
    }
  }
  const order = new Int32Array(nodeCount);
  const parent = new Int32Array(nodeCount).fill(-1);
  const pred = new Int32Array(nodeCount).fill(-1);
  const seen = new Uint8Array(nodeCount);
  order[0] = root;
  seen[root] = 1;
  let tail = 1;
  for (let head = 0; head < tail; head++) {
    const u = order[head];
    for (let slot = adjHead[u]; slot >= 0; slot = adjNext[slot]) {
      const e = adjArc[slot];
      const v = source[e] === u ? target[e] : source[e];
      if (seen[v]) continue;
      seen[v] = 1;
      order[tail++] = v;
      parent[v] = u;
      pred[v] = e;
    }
  }
  if (tail !== nodeCount) throw new Error('the tree does not span the network');
  return { order, parent, pred };
}

/** A warm start that pivots longer than a cold start would is abandoned (Cunningham's rule cannot cycle; this only bounds the cost). */
class PivotLimit extends Error {}

/**
 * Network simplex instead of successive shortest paths: with a super source every unused supply sits at reduced distance 0, so each Dijkstra would touch the whole graph and tens of thousands of augmentations become quadratic.
 * Supplies with `days` become a chain of bucket nodes joined by holding arcs (see the format at the top);
 * the instance is expected to be validated by AllocationInstanceSchema (for a supply with days, `days` is
 * what counts and `units` is ignored).
 */
export function solveAllocation(instance: AllocationInstance, warm?: WarmStart): AllocationResult {
  return solveAllocationArcs(instance, warm).result;
}

/**
 * Units standing on arcs (the proposals live re-planning already made), kept unless moving them gains more than
 * `weight` of a unit's priority weight per unit moved: up to `units[arc]` units on an arc (by its index in the
 * instance; Infinity: all it can carry) count `1 + weight` times their priority. The optimum found so has at least
 * 1 / (1 + weight) of the best priority-weighted units (a unit weighs at least 1); among arcs that stand alike, cost
 * decides as before.
 */
export type Standing = { units: ArrayLike<number>; weight: number };

/** Priority weights are scaled by this in the solver, so a standing bonus of a fraction of a weight is an integer. */
const STAND_SCALE = 1000;

/** `solveAllocation`, with the units on each arc of the instance (in its order) besides the flows by pair. */
export function solveAllocationArcs(instance: AllocationInstance, warm?: WarmStart, standing?: Standing): { result: AllocationResult; units: Float64Array } {
  const prefix = prefixOutput(instance);
  const arcs = indexArcs(instance, prefix);
  const usable = arcs.filter((arc) => arc.capacity > 0);
  // The buckets some usable arc leaves from, per supply, ascending: one node each.
  const buckets: number[][] = instance.supplies.map(() => []);
  for (const arc of usable) buckets[arc.supply].push(arc.bucket);
  for (let s = 0; s < buckets.length; s++) {
    if (buckets[s].length > 1) buckets[s] = [...new Set(buckets[s])].sort((x, y) => x - y);
  }
  const supplyNode = new Int32Array(instance.supplies.length).fill(-1); // node of the supply's first bucket
  const demandNode = new Int32Array(instance.demands.length).fill(-1);
  let nodeCount = 0;
  for (const arc of usable) {
    if (supplyNode[arc.supply] < 0) {
      supplyNode[arc.supply] = nodeCount;
      nodeCount += buckets[arc.supply].length;
    }
  }
  const supplyCount = nodeCount;
  for (const arc of usable) {
    if (demandNode[arc.demand] < 0) demandNode[arc.demand] = nodeCount++;
  }
  const demandCount = nodeCount - supplyCount;
  const units = new Float64Array(instance.arcs.length);
  if (usable.length === 0) return { result: buildResult(instance, units), units };
  let holdingCount = 0;
  for (const list of buckets) holdingCount += Math.max(0, list.length - 1);
  const rankOf = (supply: number, bucket: number): number => {
    const list = buckets[supply];
    if (list.length === 1) return 0;
    let low = 0;
    let high = list.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (list[mid] < bucket) low = mid + 1;
      else high = mid;
    }
    return low;
  };

  // Balanced form: every supply bucket may dump leftovers into the root and every demand may take its
  // shortfall from it, both at cost (0, 0), so "allocate nothing" is a feasible starting basis.
  const root = nodeCount++;
  // a standing arc's units are a parallel arc of their own, worth the bonus (the pair arc keeps the rest)
  const stayOf: number[] = [];
  const bonus = standing ? Math.round(standing.weight * STAND_SCALE) : 0;
  if (standing && bonus > 0) for (let u = 0; u < usable.length; u++) if (Math.min(standing.units[usable[u].arcIndex] ?? 0, usable[u].capacity) > 0) stayOf.push(u);
  const pairArcs = usable.length + stayOf.length;
  const realArcs = pairArcs + holdingCount + supplyCount + demandCount;
  // a warm start may need an artificial arc per node (opposite its slack arc, at a prohibitive first cost)
  const arcCount = realArcs + (warm ? nodeCount - 1 : 0);
  const source = new Int32Array(arcCount);
  const target = new Int32Array(arcCount);
  const capacity = new Float64Array(arcCount);
  const primaryCost = new Float64Array(arcCount);
  const secondaryCost = new Float64Array(arcCount);
  const flow = new Float64Array(arcCount);
  const scale = chooseCostScale(usable.map((arc) => arc.cost), nodeCount);
  const weightScale = stayOf.length ? STAND_SCALE : 1;
  const maxPriority = instance.demands.reduce((max, demand) => Math.max(max, demand.priority), 0) * weightScale + bonus;
  if (maxPriority * (2 * nodeCount + 1) > Number.MAX_SAFE_INTEGER) {
    throw new RangeError('priorities are too large to optimise exactly with safe integers');
  }
  usable.forEach((arc, e) => {
    source[e] = supplyNode[arc.supply] + rankOf(arc.supply, arc.bucket);
    target[e] = demandNode[arc.demand];
    capacity[e] = arc.capacity;
    primaryCost[e] = -instance.demands[arc.demand].priority * weightScale;
    secondaryCost[e] = Math.round(arc.cost * scale);
  });
  let e = usable.length;
  for (const u of stayOf) {
    const kept = Math.min(standing!.units[usable[u].arcIndex], usable[u].capacity);
    source[e] = source[u];
    target[e] = target[u];
    capacity[e] = kept;
    capacity[u] -= kept;
    primaryCost[e] = primaryCost[u] - bonus;
    secondaryCost[e] = secondaryCost[u];
    e++;
  }
  // Holding arcs: output of an earlier bucket may wait for a later one, at no cost and without bound.
  instance.supplies.forEach((_, index) => {
    const first = supplyNode[index];
    if (first < 0) return;
    for (let rank = 0; rank + 1 < buckets[index].length; rank++) {
      source[e] = first + rank;
      target[e] = first + rank + 1;
      capacity[e] = Number.POSITIVE_INFINITY;
      e++;
    }
  });
  instance.supplies.forEach((supply, index) => {
    const first = supplyNode[index];
    if (first < 0) return;
    const list = buckets[index];
    for (let rank = 0; rank < list.length; rank++) {
      source[e] = first + rank;
      target[e] = root;
      capacity[e] = Number.POSITIVE_INFINITY;
      // A bucket node carries the output of every day after the previous node's bucket up to its own.
      flow[e] = supply.days === undefined ? supply.units : prefix[index][list[rank]] - (rank === 0 ? 0 : prefix[index][list[rank - 1]]);
      e++;
    }
  });
  instance.demands.forEach((demand, index) => {
    const node = demandNode[index];
    if (node < 0) return;
    source[e] = root;
    target[e] = node;
    capacity[e] = Number.POSITIVE_INFINITY;
    flow[e] = demand.units;
    e++;
  });

  const net: FlowNetwork = { nodeCount, root, source, target, capacity, primaryCost, secondaryCost };
  let solved: Float64Array;
  if (!warm) {
    solved = networkSimplex(net, flow).flow;
  } else {
    // stable names for the arcs, so the next solve of a changed instance can start from this one's tree
    // numbered by the ids of their ends (and a supply's day bucket): pair, holding, supply slack, demand slack
    const idOf = (id: string) => {
      let n = warm.ids.get(id);
      if (n === undefined) warm.ids.set(id, (n = warm.ids.size + 1));
      return n;
    };
    // a name is two small integers: the id of the arc's demand (pair arcs, demand slacks) or supply (its holding
    // and slack arcs), then the other end's id or the day, times four plus the kind of arc
    const supplyNo = instance.supplies.map((supply, index) => (supplyNode[index] >= 0 ? idOf(supply.id) : 0));
    const demandNo = instance.demands.map((demand, index) => (demandNode[index] >= 0 ? idOf(demand.id) : 0));
    const keys: ArcNames = { owner: new Int32Array(realArcs), name: new Int32Array(realArcs) };
    for (let index = 0; index < usable.length; index++) {
      keys.owner[index] = demandNo[usable[index].demand];
      keys.name[index] = supplyNo[usable[index].supply] * 4;
    }
    // a standing arc: its pair's name, kind 1 (a demand owns no holding arcs)
    stayOf.forEach((u, i) => {
      keys.owner[usable.length + i] = keys.owner[u];
      keys.name[usable.length + i] = keys.name[u] + 1;
    });
    let k = pairArcs;
    const nodeOwner = new Int32Array(nodeCount);
    const nodeName = new Int32Array(nodeCount);
    instance.supplies.forEach((_, index) => {
      const first = supplyNode[index];
      if (first < 0) return;
      const list = buckets[index];
      for (let rank = 0; rank < list.length; rank++) {
        nodeOwner[first + rank] = supplyNo[index];
        nodeName[first + rank] = list[rank] * 4 + 2;
      }
      for (let rank = 0; rank + 1 < list.length; rank++, k++) {
        keys.owner[k] = supplyNo[index];
        keys.name[k] = list[rank] * 4 + 1;
      }
    });
    instance.demands.forEach((_, index) => {
      if (demandNode[index] < 0) return;
      nodeOwner[demandNode[index]] = demandNo[index];
      nodeName[demandNode[index]] = 3;
    });
    for (; k < realArcs; k++) {
      const v = source[k] === root ? target[k] : source[k];
      keys.owner[k] = nodeOwner[v];
      keys.name[k] = nodeName[v];
    }
    // artificial arcs: from the root to a supply bucket (output it does not have), from a demand to the root
    const slackOf = new Int32Array(nodeCount).fill(-1);
    const artificialOf = new Int32Array(nodeCount).fill(-1);
    const big = maxPriority * (nodeCount + 1);
    if (big * (2 * nodeCount + 1) > Number.MAX_SAFE_INTEGER) throw new RangeError('the network is too large to warm-start exactly with safe integers');
    for (let a = pairArcs + holdingCount; a < realArcs; a++) {
      const v = source[a] === root ? target[a] : source[a];
      slackOf[v] = a;
      const x = realArcs + v - (v > root ? 1 : 0);
      source[x] = target[a];
      target[x] = source[a];
      capacity[x] = Number.POSITIVE_INFINITY;
      primaryCost[x] = big;
      artificialOf[v] = x;
    }
    solved = warmSolve(net, flow, keys, warm, slackOf, artificialOf, realArcs);
  }
  usable.forEach((arc, index) => {
    units[arc.arcIndex] = solved[index];
  });
  stayOf.forEach((u, i) => {
    units[usable[u].arcIndex] += solved[usable.length + i];
  });
  return { result: buildResult(instance, units), units };
}

/**
 * What a solve leaves for the next one: the arcs of its final spanning tree (1) and those at their capacity (2),
 * named by the ids of their ends (supply and demand ids, a supply's day bucket). Pass the same object to
 * successive `solveAllocation` calls on changing instances of one market: each starts from the previous optimum's
 * basis, repaired where the instance changed, and pivots only as far as the change requires. The result is the
 * same optimum as a cold solve (the same weighted units and cost; among equal optima the flows may differ).
 */
export class WarmStart {
  readonly ids = new Map<string, number>();
  /** By owner id (an arc's demand, or its supply), then name: 1 in the tree, 2 at capacity. */
  readonly arcs = new Map<number, Map<number, 1 | 2>>();
  private count = 0;
  /** A warm solve that needs more pivots than this (per node, plus a constant) is abandoned for a cold one. */
  pivotLimit = { perNode: 4, plus: 1000 };
  /** Warm solves abandoned so. */
  abandoned = 0;
  /** Ids and arcs remembered (callers start afresh past what they need). */
  get size() {
    return this.ids.size + this.count;
  }

  get(owner: number, name: number): 1 | 2 | undefined {
    return this.arcs.get(owner)?.get(name);
  }

  set(owner: number, name: number, value: 1 | 2 | 0) {
    let at = this.arcs.get(owner);
    if (!at) {
      if (!value) return;
      this.arcs.set(owner, (at = new Map()));
    }
    const had = at.has(name);
    if (value) at.set(name, value);
    else at.delete(name);
    this.count += (value ? 1 : 0) - (had ? 1 : 0);
  }
}

/** Each arc's name in a WarmStart. */
type ArcNames = { owner: Int32Array; name: Int32Array };

/**
 * The network simplex from the basis `warm` remembers: its tree arcs that still exist and form a forest, joined to
 * the root by slack arcs, with the flows the instance's supplies and demands now give; tree arcs those flows would
 * push out of bounds are repaired as they are met (below). Remembers the new basis.
 */
function warmSolve(net: FlowNetwork, coldFlow: Float64Array, keys: ArcNames, warm: WarmStart, slackOf: Int32Array, artificialOf: Int32Array, realArcs: number): Float64Array {
  const { nodeCount, root, source, target, capacity } = net;
  const arcCount = source.length;
  // each node's own supply (+) or demand (-), from the cold start's slack flows
  const excess = new Float64Array(nodeCount);
  for (let v = 0; v < nodeCount; v++) {
    if (v === root) continue;
    const a = slackOf[v];
    excess[v] = source[a] === v ? coldFlow[a] : -coldFlow[a];
    excess[root] -= excess[v];
  }
  const flow = new Float64Array(arcCount);
  // the remembered tree arcs that still form a forest, then each node not yet joined to the root by its slack arc
  const set = new Int32Array(nodeCount);
  for (let v = 0; v < nodeCount; v++) set[v] = v;
  const find = (v: number) => {
    while (set[v] !== v) v = set[v] = set[set[v]];
    return v;
  };
  const inTree = new Uint8Array(arcCount);
  const before = new Uint8Array(realArcs);
  let owner = -1;
  let names: Map<number, 1 | 2> | undefined;
  for (let e = 0; e < realArcs; e++) {
    if (keys.owner[e] !== owner) names = warm.arcs.get((owner = keys.owner[e]));
    const was = names?.get(keys.name[e]);
    before[e] = was ?? 0;
    if (was === 2 && capacity[e] < Number.POSITIVE_INFINITY) flow[e] = capacity[e];
    if (was !== 1) continue;
    const a = find(source[e]);
    const b = find(target[e]);
    if (a === b) continue;
    set[a] = b;
    inTree[e] = 1;
  }
  for (let v = 0; v < nodeCount; v++) {
    if (v === root) continue;
    const a = find(v);
    const b = find(root);
    if (a === b) continue;
    set[a] = b;
    inTree[slackOf[v]] = 1;
  }
  // orient it from the root
  const treeArcs: number[] = [];
  for (let e = 0; e < realArcs; e++) {
    if (inTree[e]) treeArcs.push(e);
    else if (flow[e] > 0) {
      excess[source[e]] -= flow[e];
      excess[target[e]] += flow[e];
    }
  }
  const { order, parent, pred } = orientTree(nodeCount, root, source, target, treeArcs);
  // tree flows from the leaves up; a tree arc whose flow would leave its bounds, or block the way to the root
  // (strong feasibility), is set at a bound instead and its subtree hangs from the root by its slack arc, or by
  // its artificial arc when the slack points the wrong way
  for (let i = nodeCount - 1; i > 0; i--) {
    const v = order[i];
    const e = pred[v];
    const up = source[e] === v;
    const f = up ? excess[v] : -excess[v];
    if (up ? f >= 0 && f < capacity[e] : f > 0 && f <= capacity[e]) {
      flow[e] = f;
      excess[parent[v]] += excess[v];
      continue;
    }
    const bound = f >= capacity[e] ? capacity[e] : 0;
    flow[e] = bound;
    excess[source[e]] -= bound;
    excess[target[e]] += bound;
    const slackUp = source[slackOf[v]] === v;
    const a = excess[v] >= 0 === slackUp ? slackOf[v] : artificialOf[v];
    pred[v] = a;
    flow[a] = Math.abs(excess[v]);
    excess[root] += excess[v];
  }
  const remember = (state: Int8Array) => {
    for (let e = 0; e < realArcs; e++) {
      const st = state[e];
      const now = st === STATE_TREE ? 1 : st === STATE_UPPER ? 2 : 0;
      if (now !== before[e]) warm.set(keys.owner[e], keys.name[e], now);
    }
  };
  try {
    const result = networkSimplex(net, flow, { pred, pivotLimit: warm.pivotLimit.perNode * nodeCount + warm.pivotLimit.plus });
    for (let x = realArcs; x < arcCount; x++) {
      if (result.flow[x] !== 0) throw new Error('a warm start ended with flow on an artificial arc');
    }
    remember(result.state);
    return result.flow;
  } catch (error) {
    if (!(error instanceof PivotLimit)) throw error;
    warm.abandoned++;
    // the cold start, without the artificial arcs
    const real = <T extends Int32Array | Float64Array>(xs: T) => xs.subarray(0, realArcs) as T;
    const cold = networkSimplex({ nodeCount, root, source: real(source), target: real(target), capacity: real(capacity), primaryCost: real(net.primaryCost), secondaryCost: real(net.secondaryCost) }, coldFlow.slice(0, realArcs));
    remember(cold.state);
    return cold.flow;
  }
}

/**
 * The baseline the optimum is measured against: what a dispatcher filling the most urgent, then earliest
 * due, then cheapest lanes first would ship. Each lane takes the latest output that still makes its due
 * date, so earlier output stays free for earlier due dates.
 */
export function greedyAllocation(instance: AllocationInstance): AllocationResult {
  const arcs = indexArcs(instance);
  const priority = instance.demands.map((demand) => demand.priority);
  const order = arcs
    .map((arc) => arc.arcIndex)
    .sort(
      (x, y) =>
        priority[arcs[y].demand] - priority[arcs[x].demand] ||
        (arcs[x].due === arcs[y].due ? 0 : arcs[x].due < arcs[y].due ? -1 : 1) ||
        arcs[x].cost - arcs[y].cost ||
        x - y,
    );
  const supplyLeft = instance.supplies.map((supply) => (supply.days === undefined ? [supply.units] : [...supply.days]));
  const demandLeft = instance.demands.map((demand) => demand.units);
  const units = new Float64Array(instance.arcs.length);
  for (const index of order) {
    const arc = arcs[index];
    const left = supplyLeft[arc.supply];
    let amount = Math.min(arc.capacity, demandLeft[arc.demand]);
    let taken = 0;
    for (let k = arc.bucket; k >= 0 && taken < amount; k--) {
      const take = Math.min(left[k], amount - taken);
      left[k] -= take;
      taken += take;
    }
    amount = taken;
    if (amount <= 0) continue;
    units[index] = amount;
    demandLeft[arc.demand] -= amount;
  }
  return buildResult(instance, units);
}

import { provinceAt } from '../../models/provinces';
import type { Demand } from '../../models/demand.schema';
import {
  matchTransitions,
  pendingStatuses,
  reservingStatuses,
  type Match,
  type MatchPatch,
  type MatchStatus,
  type NearMiss,
} from '../../models/match.schema';
import type { OptimizeSummary } from '../../models/metrics.schema';
import type { Offer } from '../../models/offer.schema';
import { canSeeMatch } from '../access/policy';
import type { AuthContext } from '../auth/auth.service';
import { AppError } from '../errors';
import type { IdemKey, Ledger, Tx } from '../ledger/ledger';
import type { LedgerState } from '../ledger/state';
import { shareCapLeft } from '../trust/records';
import { explain } from './eligibility';
import { insertInOrder } from './ordered';
import type { DemandView, OfferView } from './types';
import { priorityWeight } from '../../models/common.schema';
import { ARCS_PER_DEMAND, candidateOf, candidatesFor, confirmationOverflow, demandsListing, eligibleFor, dueFor, freeOnLine, fresh, lineFree, lineOf, nearMisses, overbookedLines, offerReasons, planForDemand, planForOffer, planGlobal, uncoveredUnits, type Plan } from './planner';

type Side = 'buyer' | 'supplier';
type Actor = { userId: string | null; role: string };
const SYSTEM: Actor = { userId: null, role: 'system' };

// ---- events -----------------------------------------------------------------------------------------

/** Announces an offer's new state (to its organization and coordinators). */
export function emitOffer(tx: Tx, o: Offer) {
  tx.emit('offer:updated', { offer: tx.state.offerDto(o) }, { orgIds: [o.organizationId], region: o.region, categories: o.products.map((p) => p.category) });
}

export function emitDemand(tx: Tx, d: Demand) {
  // coordinators' region filters follow where the goods go, like the coverage
  tx.emit('demand:updated', { demand: tx.state.demandDto(d) }, { orgIds: [d.organizationId], region: provinceAt(d.deliveryLocation).id, categories: [d.category] });
}

/** Logs a match's new state with the one transition that led to it (the log keeps deltas, not histories). */
function emitMatch(tx: Tx, kind: 'match:proposed' | 'match:updated', m: Match, transition: Match['history'][number]) {
  const { history, ...rest } = m;
  void history;
  tx.emit(kind, { match: rest, transition }, { orgIds: [m.buyerOrgId, m.supplierOrgId], region: m.deliveryRegion ?? m.region, categories: [m.category] });
}

function transition(tx: Tx, status: MatchStatus, actor: Actor, note?: string): Match['history'][number] {
  return { status, actorId: actor.userId, actorRole: actor.role, at: new Date(tx.now).toISOString(), ...(note ? { note } : {}) };
}

// ---- the lifecycle, as steps of commands -------------------------------------------------------------

/** Makes one proposal. */
export function propose(tx: Tx, p: Plan, source: Match['source']) {
  // an organization under the limits for the unverified holds only a share of a critical demand (server/trust)
  const cap = shareCapLeft(tx.state, p.offer.orgId, p.demand, tx.now);
  if (cap < p.units) {
    if (cap <= 0 || cap < p.offer.minOrderUnits) return;
    p = { ...p, units: cap };
  }
  const { score, explanation } = explain(p.offer, p.demand, p.e, p.units, tx.now);
  const at = new Date(tx.now).toISOString();
  const m: Match = {
    id: tx.newId(),
    demandId: p.demand.id,
    offerId: p.offer.id,
    buyerOrgId: p.demand.orgId,
    supplierOrgId: p.offer.orgId,
    buyerOrgName: p.demand.orgName,
    supplierOrgName: p.offer.orgName,
    buyerOrgNameZh: p.demand.orgNameZh ?? p.demand.orgName,
    supplierOrgNameZh: p.offer.orgNameZh ?? p.offer.orgName,
    category: p.demand.category,
    region: p.demand.region,
    deliveryRegion: p.demand.deliveryRegion,
    supplierRegion: p.offer.region,
    priority: p.demand.priority,
    units: p.units,
    score,
    explanation,
    status: 'proposed',
    source,
    buyerAcceptedAt: null,
    supplierAcceptedAt: null,
    history: [],
    line: p.e.route.line,
    dueAt: new Date(dueFor(p.demand, p.e)).toISOString(),
    expiresAt: new Date(tx.now + tx.state.settings.proposalTtlMs).toISOString(),
    version: 0,
    createdAt: at,
    updatedAt: at,
  };
  emitMatch(tx, 'match:proposed', m, transition(tx, 'proposed', SYSTEM, source === 'optimizer' ? 'global allocation' : undefined));
}

/**
 * How far a change re-plans: a part of the market (`LedgerState.component`) of up to `componentMax` open
 * postings is solved again whole; in a larger one, the neighbourhood of the change is (its best offers, the
 * demands holding proposals on them or waiting for them, and theirs, up to `demands` and `offers`), with every
 * other commitment held as it is, and at most `changes` proposals move per change, most urgent first (what is
 * left moves with the next change nearby). Either way the standing proposals only improve; the coordinator's
 * optimize solves everything. Measured by bench:replan.
 */
export const replanLimits = { componentMax: 100, demands: 20, offers: 16, offersPerDemand: 4, waitingPerOffer: 6, changes: 24 };

/** Per command, each category's state revision when its part of the market was last solved (and filled). */
const solvedIn = new WeakMap<Tx, Map<string, number>>();

/**
 * Proposes matches for a demand that is new, changed or has units free again: the part of the market it is
 * in (its category and every category linked to it by an offer that serves both, or in a large market the
 * neighbourhood of the demand) is solved again, most priority-weighted units first, then least cost, and the
 * standing proposals nobody accepted follow that optimum. A more urgent demand thereby takes units proposed to
 * less urgent ones. What the optimum leaves uncovered is then planned incrementally (units the network counts
 * at a converted line's rate).
 */
export function matchDemand(tx: Tx, demandId: string, source: Match['source'] = 'incremental'): number {
  const d = tx.state.demands.get(demandId);
  return d ? replan(tx, [d.category], source, { demands: [demandId] }) : 0;
}

export function matchOffer(tx: Tx, offerId: string) {
  const o = tx.state.offers.get(offerId);
  const categories = new Set([...(o?.products.map((p) => p.category) ?? []), ...tx.state.categoriesOf(offerId)]);
  return replan(tx, categories, 'incremental', { offers: [offerId] });
}

/**
 * Re-solves the part of the market around `categories` (unless nothing changed in it since this command last
 * did), or the neighbourhood of `fill` when that part is large, and moves the unaccepted proposals in it to the
 * optimum; a standing proposal wins a tie, so equal allocations do not churn. Then what the optimum left open is
 * planned incrementally for the postings it touched and for `fill`: the network counts a converted line in its
 * own units and drops flows under a minimum order, so a demand can end with less than a line could still give
 * it. Returns the proposals made.
 */
export function replan(tx: Tx, categories: Iterable<string>, source: Match['source'], fill: { demands?: string[]; offers?: string[] } = {}): number {
  const s = tx.state;
  let done = solvedIn.get(tx);
  if (!done) solvedIn.set(tx, (done = new Map()));
  const cats = [...categories];
  const touched = new Set(fill.demands ?? []);
  const posted = new Set(fill.offers ?? []);
  let made = 0;
  let solved: Iterable<string> = [];
  if (cats.some((c) => done.get(c) !== s.revision)) {
    const large = knownLarge(s, cats, tx.now);
    const scope = large ? null : s.component(cats, tx.now);
    if (!scope || scope.offers.length + scope.demands.length > replanLimits.componentMax) {
      if (scope) rememberLarge(s, scope, tx.now);
      const near = neighbourhood(tx, fill);
      if (near.demands.length && near.offers.length) made += solve(tx, near, source, touched, posted, replanLimits.changes);
    } else {
      solved = scope.categories;
      if (scope.demands.length && scope.offers.length) {
        const revs = new Map(scope.offers.map((o) => [o.id, s.offerRev(o.id)]));
        made += solve(tx, scope, source, touched, posted);
        // proposals the optimum did not need stay where they are, so units can be free for a demand it did not
        // touch: on the lines this solve changed, for the demands still short that can use them
        const changed = scope.offers.filter((o) => s.offerRev(o.id) !== revs.get(o.id)).map((o) => o.id);
        for (const d of changed.length ? scope.demands : []) {
          const v = touched.has(d.id) ? null : s.demandView(d.id, tx.now);
          if (v && uncoveredUnits(s, v) > 0 && changed.some((id) => candidateOf(s, v, id, tx.now))) touched.add(d.id);
        }
      }
    }
  }
  for (const id of touched) made += planForDemand(s, id, tx.now, (p) => propose(tx, p, source));
  for (const id of fill.offers ?? []) made += planForOffer(s, id, tx.now, (p) => propose(tx, p, source));
  for (const c of solved) done.set(c, s.revision);
  return made;
}

/**
 * Per category, the size of its part of the market (`LedgerState.component`) when last counted over the limit, the
 * state revision and the time: counting a large part again at every change costs more than solving a neighbourhood.
 */
const largeParts = new WeakMap<LedgerState, Map<string, { size: number; revision: number; at: number }>>();

/**
 * Whether the part of the market around `categories` is over `replanLimits.componentMax` without counting it: it
 * was, by more postings than state changes since (a change posts, withdraws or closes one), within the hour (so
 * postings that expired are counted again). An offer withdrawn can split a part; until it is recounted, that part is
 * solved by neighbourhood, which also keeps the standing proposals at the optimum's priority.
 */
function knownLarge(s: LedgerState, categories: string[], now: number): boolean {
  const known = largeParts.get(s);
  return categories.some((c) => {
    const k = known?.get(c);
    return !!k && now - k.at < 3_600_000 && now >= k.at && k.size - (s.revision - k.revision) > replanLimits.componentMax;
  });
}

function rememberLarge(s: LedgerState, scope: ReturnType<LedgerState['component']>, now: number) {
  let known = largeParts.get(s);
  if (!known) largeParts.set(s, (known = new Map()));
  const size = scope.offers.length + scope.demands.length;
  for (const c of scope.categories) known.set(c, { size, revision: s.revision, at: now });
}

/**
 * The neighbourhood of a change in a large market, breadth first: a demand's best offers and the offers it has
 * proposals on; an offer's demands with proposals on it and the most urgent uncovered demands that count it
 * among their best; two rounds, within `replanLimits`.
 */
function neighbourhood(tx: Tx, seeds: { demands?: string[]; offers?: string[] }): { offers: OfferView[]; demands: DemandView[] } {
  const s = tx.state;
  const now = tx.now;
  const L = replanLimits;
  /** The first `limit` demands by need: short of units first, then the most urgent, then the earliest due. */
  const mostInNeed = (views: readonly DemandView[], limit: number) => {
    const best: { v: DemandView; need: number }[] = [];
    for (const v of views) insertInOrder(best, { v, need: (uncoveredUnits(s, v) > 0 ? 0 : 10) - priorityWeight[v.priority] }, byNeed, limit);
    return best.map(({ v }) => v);
  };
  const demands = new Map<string, DemandView>();
  const offers = new Map<string, OfferView>();
  const addDemand = (id: string, to: string[]) => {
    if (demands.size >= L.demands || demands.has(id)) return;
    const v = s.demandView(id, now);
    if (v) (demands.set(id, v), to.push(id));
  };
  const addOffer = (id: string, to: string[]) => {
    if (offers.size >= L.offers || offers.has(id)) return;
    const v = s.offerView(id, now);
    if (v) (offers.set(id, v), to.push(id));
  };
  let frontierD: string[] = [];
  let frontierO: string[] = [];
  for (const id of seeds.demands ?? []) addDemand(id, frontierD);
  for (const id of seeds.offers ?? []) {
    addOffer(id, frontierO);
    // the demands that could use it most learn of it now (their cached candidates are patched), so they list it
    // below: short ones first, then the most urgent
    for (const v of mostInNeed(s.demandsFor(id, now), 4 * L.waitingPerOffer)) eligibleFor(s, v, now);
  }
  for (let round = 0; round < 2; round++) {
    for (const id of frontierD) {
      const d = demands.get(id)!;
      for (const m of s.pendingForDemand(id)) addOffer(m.offerId, frontierO);
      for (const c of candidatesFor(s, d, now, L.offersPerDemand)) addOffer(c.o.id, frontierO);
    }
    const nextD: string[] = [];
    for (const id of frontierO) {
      for (const m of s.pendingForOffer(id)) addDemand(m.demandId, nextD);
      // demands that could use it: short ones first (they gain), then covered ones (moving frees their lines)
      const could: DemandView[] = [];
      demandsListing(s, id).forEach((did) => {
        const v = demands.has(did) ? null : s.demandView(did, now);
        if (v) could.push(v);
      });
      for (const v of mostInNeed(could, L.waitingPerOffer)) addDemand(v.id, nextD);
    }
    frontierD = nextD;
    frontierO = [];
  }
  return { offers: [...offers.values()], demands: [...demands.values()] };
}

const byNeed = (a: { v: DemandView; need: number }, b: { v: DemandView; need: number }) => a.need - b.need || a.v.deadline - b.v.deadline;

/** One re-solve of a part of the market: withdraws what moves (with the reason) and proposes the optimum. */
function solve(tx: Tx, scope: { offers: OfferView[]; demands: DemandView[] }, source: Match['source'], touched: Set<string>, posted: ReadonlySet<string>, budget = Infinity): number {
  const s = tx.state;
  const g = planGlobal(s, tx.now, ARCS_PER_DEMAND, { ...scope, preferStanding: true, posted });
  if (!g.replaced.length && !g.plans.length) return 0;
  const planned = new Map(g.plans.map((p) => [`${p.offer.id}:${p.demand.id}`, p]));
  // standing proposals the optimum does not keep as they are: resized in place when it keeps the pair; the others
  // stay until a planned proposal needs their units (so a change moves only what it must)
  const standing = new Map<string, Match>();
  const movable: Match[] = [];
  const shrinkable: Match[] = [];
  for (const id of g.replaced) {
    const m = s.matches.get(id);
    if (!m || m.status !== 'proposed') continue;
    const p = planned.get(`${m.offerId}:${m.demandId}`);
    if (!p) {
      movable.push(m);
      continue;
    }
    standing.set(`${m.offerId}:${m.demandId}`, m);
    // the optimum keeps the pair with fewer units: cut only when a planned proposal needs them
    if (p.units < m.units) shrinkable.push(m);
  }
  const urgentBy = new Map<number, string>(Object.entries(priorityWeight).map(([k, v]) => [v, k]));
  const weight = (m: { priority: string }) => priorityWeight[m.priority as keyof typeof priorityWeight] ?? 1;
  // what can make room, by line and by demand; sorted once: least urgent, latest due first
  const slot = new Map<string, { line: number; due: number }>();
  for (const m of [...movable, ...shrinkable]) slot.set(m.id, lineOf(s, m));
  movable.sort((a, b) => weight(a) - weight(b) || slot.get(b.id)!.due - slot.get(a.id)!.due);
  const index = (list: Match[], key: (m: Match) => string) => {
    const out = new Map<string, Match[]>();
    for (const m of list) {
      const k = key(m);
      const at = out.get(k);
      if (at) at.push(m);
      else out.set(k, [m]);
    }
    return out;
  };
  const onLine = (m: Match) => `${m.offerId}#${slot.get(m.id)!.line}`;
  const room = { line: { shrink: index(shrinkable, onLine), move: index(movable, onLine) }, demand: { shrink: index(shrinkable, (m) => m.demandId), move: index(movable, (m) => m.demandId) } };
  const target = (m: Match) => (planned.get(`${m.offerId}:${m.demandId}`)?.units ?? 0);
  /** Proposals that can give way, in order: those the optimum keeps with fewer units, then those it drops. */
  const giving = (where: { shrink: Map<string, Match[]>; move: Map<string, Match[]> }, key: string) =>
    [...(where.shrink.get(key) ?? []), ...(where.move.get(key) ?? [])].flatMap((m) => {
      const cur = s.matches.get(m.id);
      return cur && cur.status === 'proposed' && cur.units > target(cur) ? [cur] : [];
    });
  /** Cuts a proposal to what the optimum keeps of it: resized, or withdrawn with the reason. */
  const planOf = (m: Match): Plan | null => {
    const o = s.offerView(m.offerId, tx.now);
    const d = s.demandView(m.demandId, tx.now);
    const e = o && d ? fresh(o, d, tx.now) : null;
    return o && d && e ? { offer: o, demand: d, e, units: m.units } : null;
  };
  const cut = (m: Match, taker: DemandViewLike, to = target(m)) => {
    const p = to > 0 ? (planned.get(`${m.offerId}:${m.demandId}`) ?? planOf(m)) : null;
    if (p) return resize(tx, m, p, to);
    close(tx, m, 'withdrawn', weight(taker) > weight(m) ? `a more urgent demand (${urgentBy.get(weight(taker))}) took these units` : 're-planned: these units serve the demands better elsewhere (most urgent first, then cheapest)');
    touched.add(m.demandId);
  };
  let made = 0;
  const ordered = [...g.plans].sort((a, b) => priorityWeight[b.demand.priority] - priorityWeight[a.demand.priority]);
  const before = tx.state.revision;
  for (const p of ordered) {
    if (tx.state.revision - before >= budget) break;
    touched.add(p.demand.id);
    let o = s.offerView(p.offer.id, tx.now);
    let d = s.demandView(p.demand.id, tx.now);
    if (!o || !d) continue;
    const kept = standing.get(`${o.id}:${d.id}`);
    const current = kept && s.matches.get(kept.id);
    const have = current && current.status === 'proposed' ? current.units : 0;
    if (!have && s.pendingForDemand(d.id).some((m) => m.offerId === o!.id)) continue;
    const want = p.units - have;
    if (want <= 0) continue;
    // what this proposal can really gain, counted before anything is cut: on the line, proposals give way only
    // while that frees units by this demand's due date; for the demand, only as many units as the line gives
    const line = p.e.route.line;
    const cuts = new Map<string, number>();
    const [ov, dv] = [o, d];
    let free = lineFree(s, o, d, p.e, tx.now);
    for (const m of free < want ? giving(room.line, `${o.id}#${line}`) : []) {
      const freeIf = (units: number) => freeOnLine(s, ov, dv, p.e, tx.now, new Map([...cuts, [m.id, units]]));
      const most = freeIf(target(m));
      if (most <= free) continue;
      // cut only as far as needed: the most units it can keep with this proposal still getting what it can
      const enough = Math.min(want, most);
      let lo = target(m);
      let hi = m.units;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (freeIf(mid) >= enough) lo = mid;
        else hi = mid;
      }
      const keep = lo >= o.minOrderUnits ? lo : target(m);
      cuts.set(m.id, keep);
      free = freeIf(keep);
      if (free >= want) break;
    }
    const gain = Math.min(want, free, shareCapLeft(s, o.orgId, d, tx.now));
    if (gain <= 0 || (!have && gain < o.minOrderUnits)) continue;
    let uncovered = uncoveredUnits(s, d) + [...cuts].reduce((n, [id, to]) => n + (s.matches.get(id)!.demandId === d!.id ? s.matches.get(id)!.units - to : 0), 0);
    for (const m of uncovered < gain ? giving(room.demand, d.id) : []) {
      if (cuts.has(m.id)) continue;
      // the demand's other proposals give way by as many units as this one gains, no more
      const keep = Math.max(target(m), m.units - (gain - uncovered));
      cuts.set(m.id, keep >= s.offers.get(m.offerId)!.minOrderUnits ? keep : target(m));
      uncovered += m.units - cuts.get(m.id)!;
      if (uncovered >= gain) break;
    }
    for (const [id, to] of cuts) cut(s.matches.get(id)!, d, to);
    o = s.offerView(p.offer.id, tx.now);
    d = s.demandView(p.demand.id, tx.now);
    if (!o || !d) continue;
    const extra = Math.min(want, lineFree(s, o, d, p.e, tx.now), uncoveredUnits(s, d), shareCapLeft(s, o.orgId, d, tx.now));
    if (current && have) {
      if (extra > 0) resize(tx, current, { ...p, offer: o, demand: d }, have + extra);
      continue;
    }
    if (extra < o.minOrderUnits || extra <= 0) continue;
    propose(tx, { ...p, offer: o, demand: d, units: extra }, source);
    made++;
  }
  return made;
}

/** A standing proposal the optimum keeps with other units: same match, new units, score and explanation. */
function resize(tx: Tx, m: Match, p: Plan, units: number) {
  const { score, explanation } = explain(p.offer, p.demand, p.e, units, tx.now);
  const t = transition(tx, 'proposed', SYSTEM, `re-planned: ${units} units instead of ${m.units}`);
  emitMatch(tx, 'match:updated', { ...m, units, score, explanation, version: m.version + 1, updatedAt: t.at, history: [...m.history, t] }, t);
}

type DemandViewLike = { priority: string };

/** Moves a pending match to a closed status. */
export function close(tx: Tx, m: Match, status: 'withdrawn' | 'expired' | 'declined', note: string, actor: Actor = SYSTEM) {
  const t = transition(tx, status, actor, note);
  emitMatch(tx, 'match:updated', { ...m, status, version: m.version + 1, updatedAt: t.at, history: [...m.history, t] }, t);
}

/**
 * Withdraws the pending proposals of a posting (changed, withdrawn or used up); with `onlyUnaccepted`,
 * those a party accepted stay. Returns the postings on the other side, to match again.
 */
export function withdrawPending(tx: Tx, which: { offerId?: string; demandId?: string }, note: string, opts: { onlyUnaccepted?: boolean } = {}): string[] {
  const pending = which.offerId ? tx.state.pendingForOffer(which.offerId) : tx.state.pendingForDemand(which.demandId!);
  const touched = new Set<string>();
  for (const m of pending) {
    if (opts.onlyUnaccepted && m.status !== 'proposed') continue;
    close(tx, m, 'withdrawn', note);
    touched.add(which.offerId ? m.demandId : m.offerId);
  }
  return [...touched];
}

/** After units were reserved or released: trims proposals that no longer fit, announces both postings, matches again. */
function afterReservationChange(tx: Tx, offerId: string, demandId: string) {
  const s = tx.state;
  const ov = s.offerView(offerId, tx.now);
  const dv = s.demandView(demandId, tx.now);
  if (!ov) withdrawPending(tx, { offerId }, 'the offer has no units left for it', { onlyUnaccepted: true });
  else withdrawOverbooked(tx, offerId);
  if (!dv || uncoveredUnits(s, dv) < 0) withdrawPending(tx, { demandId }, 'the demand is covered', { onlyUnaccepted: true });
  emitOffer(tx, s.offers.get(offerId)!);
  emitDemand(tx, s.demands.get(demandId)!);
  matchDemand(tx, demandId);
  matchOffer(tx, offerId);
}

/** Withdraws the unaccepted proposals on lines of the offer that can no longer make everything promised on them. */
function withdrawOverbooked(tx: Tx, offerId: string) {
  const s = tx.state;
  const o = s.offers.get(offerId);
  if (!o) return;
  const window = { id: o.id, availableFrom: Date.parse(o.availableFrom), availableTo: Date.parse(o.availableTo), products: o.products };
  const lines = new Set(overbookedLines(s, window, tx.now));
  if (!lines.size) return;
  for (const m of s.pendingForOffer(offerId)) {
    if (m.status === 'proposed' && lines.has(lineOf(s, m).line)) close(tx, m, 'withdrawn', 'its line has no units left by the date they are due');
  }
}

const shortDate = (ms: number) => new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const units = (n: number) => Math.floor(n + 1e-6).toLocaleString('en-US');

function sideOf(m: Match, auth: AuthContext): Side {
  if (auth.role === 'buyer' && auth.organizationId === m.buyerOrgId) return 'buyer';
  if (auth.role === 'supplier' && auth.organizationId === m.supplierOrgId) return 'supplier';
  if (auth.role === 'coordinator' || auth.role === 'admin') throw AppError.forbidden('Only the buyer or the supplier of a match can act on it');
  throw AppError.notFound('Match');
}

function matchFor(tx: Tx, id: string, auth: AuthContext): { m: Match; side: Side } {
  const m = tx.state.matches.get(id);
  if (!m) throw AppError.notFound('Match');
  return { m, side: sideOf(m, auth) };
}

function adjustOffer(tx: Tx, offerId: string, delta: { reserved?: number; delivered?: number }) {
  const o = tx.state.offers.get(offerId)!;
  const reserved = Math.max(0, o.reservedUnits + (delta.reserved ?? 0));
  const status = o.status === 'open' && reserved >= o.totalUnits ? 'fulfilled' : o.status === 'fulfilled' && reserved < o.totalUnits ? 'open' : o.status;
  const next: Offer = { ...o, reservedUnits: reserved, deliveredUnits: o.deliveredUnits + (delta.delivered ?? 0), status, version: o.version + 1, updatedAt: new Date(tx.now).toISOString() };
  emitOffer(tx, next);
  return next;
}

function adjustDemand(tx: Tx, demandId: string, delta: { confirmed?: number; delivered?: number }) {
  const d = tx.state.demands.get(demandId)!;
  const confirmed = Math.max(0, d.confirmedUnits + (delta.confirmed ?? 0));
  const status = d.status === 'open' && confirmed >= d.quantity ? 'fulfilled' : d.status === 'fulfilled' && confirmed < d.quantity ? 'open' : d.status;
  const next: Demand = { ...d, confirmedUnits: confirmed, deliveredUnits: d.deliveredUnits + (delta.delivered ?? 0), status, version: d.version + 1, updatedAt: new Date(tx.now).toISOString() };
  emitDemand(tx, next);
  return next;
}

/**
 * The global allocation over every open posting, as one step of a command: solved on the state at its log
 * position, its withdrawals and new proposals committed in one append.
 */
export function optimizeStep(tx: Tx, maxArcsPerDemand = ARCS_PER_DEMAND): OptimizeSummary {
  const g = planGlobal(tx.state, tx.now, maxArcsPerDemand);
  let withdrawn = 0;
  for (const id of g.replaced) {
    const m = tx.state.matches.get(id);
    if (!m || m.status !== 'proposed') continue;
    close(tx, m, 'withdrawn', 'replaced by the global allocation');
    withdrawn++;
  }
  let created = 0;
  for (const p of g.plans) {
    // the plan was made on the same state; what it takes is free once the replaced ones are gone
    const o = tx.state.offerView(p.offer.id, tx.now);
    const d = tx.state.demandView(p.demand.id, tx.now);
    if (!o || !d) continue;
    const n = Math.min(p.units, lineFree(tx.state, o, d, p.e, tx.now), uncoveredUnits(tx.state, d));
    if (n < o.minOrderUnits || n <= 0) continue;
    propose(tx, { ...p, offer: o, demand: d, units: n }, 'optimizer');
    created++;
  }
  return {
    demands: g.instance.demands.length,
    offers: g.instance.supplies.length,
    arcs: g.instance.arcs.length,
    unitsAllocated: g.unitsAllocated,
    weightedUnits: g.weightedUnits,
    totalCost: g.totalCost,
    proposalsCreated: created,
    proposalsWithdrawn: withdrawn,
    proposalsKept: g.kept + g.held,
    previousWeightedUnits: g.previousWeighted,
    solveMs: g.solveMs,
  };
}

/** Priority-weighted units of the pending proposals and matches (what live re-planning is measured by). */
export function standingWeight(state: Tx['state']): number {
  let w = 0;
  for (const m of state.pendingMatches()) w += priorityWeight[m.priority as keyof typeof priorityWeight] * m.units;
  return w;
}

/**
 * What the coordinator's optimize would leave standing on this state (every unaccepted proposal re-decided,
 * sized by the per-line check), measured and rolled back: the offline optimum live re-planning is compared with.
 */
export function optimumFromScratch(tx: Tx): number {
  const { state } = tx;
  state.beginJournal();
  try {
    optimizeStep(tx);
    return standingWeight(state);
  } finally {
    state.rollback();
    state.endJournal();
  }
}

/**
 * Matching over the ledger: every change is one command, validated against the state at its log position
 * and committed with its proposals in the same append. Reads come from the in-memory state.
 */
export class MatchingService {
  constructor(private readonly ledger: Ledger) {}

  private get state() {
    return this.ledger.state;
  }

  /**
   * A party accepts. The first acceptance is recorded; the second confirms the match, reserving its units on
   * the offer and the demand in the same command, so a confirmation is whole or absent.
   * @throws AppError conflict when units are gone or the match is closed; not_found for non-parties
   */
  accept(id: string, auth: AuthContext, note?: string, idem?: IdemKey): Promise<Match> {
    return this.ledger.submit((tx) => {
      if (tx.replay(idem)) return this.state.matches.get(id)!;
      const { m, side } = matchFor(tx, id, auth);
      if (reservingStatuses.includes(m.status)) return m;
      if (!pendingStatuses.includes(m.status)) throw AppError.conflict(`The match is ${m.status}`);
      const mineAt = side === 'buyer' ? m.buyerAcceptedAt : m.supplierAcceptedAt;
      const otherAt = side === 'buyer' ? m.supplierAcceptedAt : m.buyerAcceptedAt;
      const at = new Date(tx.now).toISOString();
      const stamp = side === 'buyer' ? { buyerAcceptedAt: at } : { supplierAcceptedAt: at };
      const actor = { userId: auth.userId, role: auth.role };
      if (!otherAt) {
        if (mineAt) return m;
        const status: MatchStatus = side === 'buyer' ? 'accepted_by_buyer' : 'accepted_by_supplier';
        const t = transition(tx, status, actor, note);
        // held for both: the other side has the hold time to answer, or it lapses and the units return
        const expiresAt = new Date(tx.now + tx.state.settings.holdMs).toISOString();
        const next = { ...m, ...stamp, status, expiresAt, version: m.version + 1, updatedAt: at, history: [...m.history, t] };
        emitMatch(tx, 'match:updated', next, t);
        tx.remember(idem, { status: 200, kind: 'match', id });
        return next;
      }
      const o = this.state.offers.get(m.offerId)!;
      const d = this.state.demands.get(m.demandId)!;
      if (o.status === 'withdrawn' || o.status === 'expired') throw AppError.conflict(`The offer is ${o.status}`);
      if (d.status === 'withdrawn' || d.status === 'expired') throw AppError.conflict(`The demand is ${d.status}`);
      // the line must make every confirmed match on it by its due date, this one included
      const over = confirmationOverflow(this.state, { id: o.id, availableFrom: Date.parse(o.availableFrom), availableTo: Date.parse(o.availableTo) }, m, tx.now);
      if (over) {
        const can = units(over.made * over.rate);
        const promised = units(over.promised * over.rate);
        throw AppError.conflict(`This line can make ${can} by ${shortDate(over.due)}; ${promised} are already promised`, {
          line: over.line,
          dueAt: new Date(over.due).toISOString(),
          canMake: Math.floor(over.made * over.rate + 1e-6),
          promised: Math.floor(over.promised * over.rate + 1e-6),
        });
      }
      const need = d.quantity - d.confirmedUnits;
      if (need < m.units) throw AppError.conflict(`The demand needs only ${need} more units`, { remainingUnits: need });
      const t = transition(tx, 'confirmed', actor, note);
      // confirmed: nothing lapses any more
      const { expiresAt, ...open } = m;
      void expiresAt;
      const confirmed = { ...open, ...stamp, status: 'confirmed' as const, version: m.version + 1, updatedAt: at, history: [...m.history, t] };
      emitMatch(tx, 'match:updated', confirmed, t);
      adjustOffer(tx, m.offerId, { reserved: m.units });
      adjustDemand(tx, m.demandId, { confirmed: m.units });
      afterReservationChange(tx, m.offerId, m.demandId);
      tx.remember(idem, { status: 200, kind: 'match', id });
      return confirmed;
    });
  }

  /** A party declines a pending match; both postings are matched again, without that pair. */
  decline(id: string, auth: AuthContext, note?: string): Promise<Match> {
    return this.ledger.submit((tx) => {
      const { m } = matchFor(tx, id, auth);
      if (m.status === 'declined') return m;
      if (!pendingStatuses.includes(m.status)) throw AppError.conflict(`The match is ${m.status}; cancel it instead`);
      close(tx, m, 'declined', note ?? 'declined', { userId: auth.userId, role: auth.role });
      matchDemand(tx, m.demandId);
      matchOffer(tx, m.offerId);
      return this.state.matches.get(id)!;
    });
  }

  /** Later lifecycle steps: the supplier starts production and ships, the buyer confirms delivery, either cancels. */
  transition(id: string, auth: AuthContext, patch: MatchPatch): Promise<Match> {
    return this.ledger.submit((tx) => {
      const { m, side } = matchFor(tx, id, auth);
      const rule = matchTransitions[patch.status];
      if (m.status === patch.status) return m;
      if (!rule.by.includes(side)) throw AppError.forbidden(`Only the ${rule.by.join(' or ')} can mark a match ${patch.status}`);
      if (!rule.from.includes(m.status)) throw AppError.conflict(`A ${m.status} match cannot become ${patch.status}`);
      const wasReserving = reservingStatuses.includes(m.status);
      const t = transition(tx, patch.status, { userId: auth.userId, role: auth.role }, patch.note);
      const next = { ...m, status: patch.status, version: m.version + 1, updatedAt: t.at, history: [...m.history, t] };
      emitMatch(tx, 'match:updated', next, t);
      if (patch.status === 'delivered') {
        adjustOffer(tx, m.offerId, { delivered: m.units });
        adjustDemand(tx, m.demandId, { delivered: m.units });
      } else if (patch.status === 'cancelled' && wasReserving) {
        adjustDemand(tx, m.demandId, { confirmed: -m.units });
        adjustOffer(tx, m.offerId, { reserved: -m.units });
        afterReservationChange(tx, m.offerId, m.demandId);
      } else if (patch.status === 'cancelled') {
        matchDemand(tx, m.demandId);
      }
      return next;
    });
  }

  /** Matches of a demand or an offer, best first, with near misses when a demand is not covered. */
  listFor(which: { demandId?: string; offerId?: string }): { items: Match[]; nearMisses: NearMiss[]; shortfall?: { quantity: number; confirmedUnits: number; proposedUnits: number; shortUnits: number } } {
    const ids = this.state.matchIdsFor((which.demandId ?? which.offerId)!);
    const items = ids
      .map((id) => this.state.matches.get(id)!)
      .filter(Boolean)
      .sort((a, b) => b.score - a.score || a.createdAt.localeCompare(b.createdAt));
    if (!which.demandId) return { items, nearMisses: [] };
    const d = this.state.demands.get(which.demandId);
    const dto = d ? this.state.demandDto(d) : null;
    return {
      items,
      nearMisses: nearMisses(this.state, which.demandId, this.ledger.now()),
      ...(dto ? { shortfall: { quantity: dto.quantity, confirmedUnits: dto.confirmedUnits, proposedUnits: dto.proposedUnits, shortUnits: dto.shortUnits ?? 0 } } : {}),
    };
  }

  /** Why an offer gets nothing or less than it could (aggregated over demands; no buyer named). */
  offerReasons(offerId: string) {
    const r = offerReasons(this.state, offerId, this.ledger.now());
    if (!r) throw AppError.notFound('Offer');
    return r;
  }

  nearMisses(demandId: string, limit = 10): NearMiss[] {
    return nearMisses(this.state, demandId, this.ledger.now(), limit);
  }

  /** Reads one match for a party or a coordinator. */
  getMatch(id: string, auth: AuthContext): Match {
    const m = this.state.matches.get(id);
    if (!m) throw AppError.notFound('Match');
    if (!canSeeMatch(auth, m)) throw AppError.notFound('Match');
    return m;
  }

  /**
   * The global allocation over every open posting, as one command: solved on the state at its log
   * position, its withdrawals and new proposals committed in one append.
   */
  optimize(maxArcsPerDemand = ARCS_PER_DEMAND): Promise<OptimizeSummary> {
    return this.ledger.submit((tx) => optimizeStep(tx, maxArcsPerDemand));
  }

  /**
   * Lapses proposals nobody answered in time (and holds the other side let run out), expires proposals whose
   * demand deadline passed, then the postings past their dates; the units that come free are proposed again.
   */
  expireStale(): Promise<number> {
    return this.ledger.submit((tx) => {
      const s = tx.state;
      let closed = 0;
      const replan = { demands: new Set<string>(), offers: new Set<string>() };
      for (const m of [...s.pendingMatches()]) {
        if (!m.expiresAt || Date.parse(m.expiresAt) > tx.now) continue;
        const lapsedBy = m.status === 'accepted_by_buyer' ? 'supplier' : m.status === 'accepted_by_supplier' ? 'buyer' : 'both';
        const note =
          lapsedBy === 'both'
            ? `lapsed: nobody answered within ${Math.round(s.settings.proposalTtlMs / 3_600_000)} hours`
            : `lapsed: the ${lapsedBy} did not answer within ${Math.round(s.settings.holdMs / 60_000)} minutes of the other side's acceptance`;
        const t = transition(tx, 'expired', SYSTEM, note);
        emitMatch(tx, 'match:updated', { ...m, status: 'expired', lapsedBy, version: m.version + 1, updatedAt: t.at, history: [...m.history, t] }, t);
        replan.demands.add(m.demandId);
        replan.offers.add(m.offerId);
        closed++;
      }
      for (const m of [...s.pendingMatches()]) {
        const d = s.demands.get(m.demandId);
        if (d && Date.parse(d.deadline) <= tx.now) {
          close(tx, m, 'expired', 'the deadline passed');
          closed++;
        }
      }
      for (const d of [...s.demands.values()]) {
        if (d.status === 'open' && Date.parse(d.deadline) <= tx.now) {
          emitDemand(tx, { ...d, status: 'expired', version: d.version + 1, updatedAt: new Date(tx.now).toISOString() });
        }
      }
      for (const o of [...s.offers.values()]) {
        if (o.status === 'open' && Date.parse(o.availableTo) <= tx.now) {
          withdrawPending(tx, { offerId: o.id }, 'the offer expired');
          emitOffer(tx, { ...o, status: 'expired', version: o.version + 1, updatedAt: new Date(tx.now).toISOString() });
        }
      }
      for (const id of replan.demands) matchDemand(tx, id);
      for (const id of replan.offers) matchOffer(tx, id);
      return closed;
    });
  }
}

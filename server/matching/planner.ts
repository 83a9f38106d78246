import { priorityWeight } from '../../models/common.schema';
import type { NearMiss } from '../../models/match.schema';
import type { LedgerState } from '../ledger/state';
import { catalog, findCategory } from '../../models/catalog';
import type { Demand } from '../../models/demand.schema';
import { pendingStatuses, type Match } from '../../models/match.schema';
import type { Offer } from '../../models/offer.schema';
import { solveAllocationArcs, WarmStart, type AllocationInstance } from './allocation';
import { daysBy, maxAddableDays, maxAddableUnits, outputLeft, overflow, type Commitment, type LineWindow } from './capacity';
import { insertInOrder } from './ordered';
import { DAY_MS, evaluate, routeFor, scoreOf, servableCategories, unitCost, type Eligibility, type Reason, type ReasonParams } from './eligibility';
import type { DemandView, OfferView } from './types';
import { shareCapLeft } from '../trust/records';

type Eligible = Extract<Eligibility, { eligible: true }>;

/** One proposal to make: `units` of `offer` for `demand`, with its evaluation. */
export interface Plan {
  offer: OfferView;
  demand: DemandView;
  e: Eligible;
  units: number;
}

/** At most this many new proposals per posting per change. */
export const MAX_PROPOSALS_PER_RUN = 8;
/** The best this many offers that can give a demand units are tried for it, in order, per change. */
const CANDIDATES_PER_RUN = 3 * MAX_PROPOSALS_PER_RUN;

/** Statuses whose units a line still has to make: proposals (for planning) and confirmed, not yet shipped. */
const PLANNED = new Set<string>([...pendingStatuses, 'confirmed', 'in_production']);
const RESERVED = new Set<string>(['confirmed', 'in_production']);

export function windowOf(o: Pick<OfferView, 'availableFrom' | 'availableTo'>): LineWindow {
  return { from: o.availableFrom, to: o.availableTo };
}

type LineOf = { line: number; rate: number; due: number };
/** `lineOf` per match, with the offer and demand it was read from (records are replaced, never changed, on update). */
const lineOfMemo = new WeakMap<Match, { o: Offer | undefined; d: Demand | undefined; at: LineOf }>();

/** The line a match takes units from, its rate there, and when it is due. */
export function lineOf(state: LedgerState, m: Match): LineOf {
  const o = state.offers.get(m.offerId);
  const d = state.demands.get(m.demandId);
  const hit = lineOfMemo.get(m);
  if (hit && hit.o === o && hit.d === d) return hit.at;
  const at = lineOfUncached(o, d, m);
  lineOfMemo.set(m, { o, d, at });
  return at;
}

function lineOfUncached(o: Offer | undefined, d: Demand | undefined, m: Match): LineOf {
  const cat = findCategory(m.category);
  const route = o && cat ? routeFor(o, cat) : null;
  const line = m.line ?? route?.line ?? 0;
  const rate = route && route.line === line ? route.unitsPerDay : (o?.products[line]?.unitsPerDay ?? 1);
  const due = m.dueAt ? Date.parse(m.dueAt) : d ? Date.parse(d.deadline) - (m.explanation?.transitDays ?? 0) * DAY_MS : 0;
  return { line, rate: Math.max(1, rate), due };
}

/**
 * Per offer: the state revision its lists were read at, per line the planning and reserved lists, and the line-days
 * each line can still promise by the end of its window (`free`, as of `freeAt`).
 */
type LineEntry = { rev: number; planning: LineCommitment[][]; reserved: LineCommitment[][]; free: number[]; freeAt: number };
/** A commitment on a line with the match it stands for and the line's rate for it (so it can be counted with other units). */
type LineCommitment = Commitment & { id: string; rate: number };
const lineCache = new WeakMap<LedgerState, Map<string, LineEntry>>();

/** An offer's entry in `lineCache`, new when the offer or a match on it changed (`LedgerState.offerRev`). */
function lineEntry(state: LedgerState, offerId: string): LineEntry {
  let cache = lineCache.get(state);
  if (!cache) lineCache.set(state, (cache = new Map()));
  const rev = state.offerRev(offerId);
  let hit = cache.get(offerId);
  if (!hit || hit.rev !== rev) {
    if (cache.size > 200_000) cache.clear();
    cache.set(offerId, (hit = { rev, planning: [], reserved: [], free: [], freeAt: NaN }));
  }
  return hit;
}

/**
 * The commitments on one line of an offer: proposals and confirmed matches (`planning`), or confirmed only.
 * Kept per line until the offer or a match on it changes (`LedgerState.offerRev`); the list is shared, not copied.
 */
export function commitmentsOn(state: LedgerState, offerId: string, line: number, which: 'planning' | 'reserved', except?: string): readonly LineCommitment[] {
  if (except !== undefined) return lineCommitments(state, offerId, line, which === 'planning' ? PLANNED : RESERVED, (m) => (m.id === except ? 0 : m.units));
  const lists = lineEntry(state, offerId)[which];
  return (lists[line] ??= lineCommitments(state, offerId, line, which === 'planning' ? PLANNED : RESERVED, (m) => m.units));
}

/** When units for `demand` must be made: its deadline less the transit days. */
export function dueFor(d: DemandView, e: Eligible): number {
  return d.deadline - e.transitDays * DAY_MS;
}

/** Units the offer's line can still promise to `demand`, by its due date, beside every other commitment on the line. */
export function lineFree(state: LedgerState, o: OfferView, d: DemandView, e: Eligible, now: number): number {
  // no due date gets more line-days than the end of the window: a full line answers without counting
  if (Math.floor(freeDaysAtEnd(state, o, e.route.line, now) * e.route.unitsPerDay + 1e-6) <= 0) return 0;
  return maxAddableUnits(windowOf(o), now, commitmentsOn(state, o.id, e.route.line, 'planning'), dueFor(d, e), e.route.unitsPerDay);
}

/** Line-days a line can still promise by the end of its window (`maxAddableDays` grows with the due date, so no date gets more). */
function freeDaysAtEnd(state: LedgerState, o: OfferView, line: number, now: number): number {
  const hit = lineEntry(state, o.id);
  if (hit.freeAt !== now) (hit.free = []), (hit.freeAt = now);
  const known = hit.free[line];
  if (known !== undefined) return known;
  const w = windowOf(o);
  return (hit.free[line] = maxAddableDays(w, now, commitmentsOn(state, o.id, line, 'planning'), w.to));
}

/** `lineFree` if some proposals on the line were cut to fewer units (`cuts`: match id to its units after). */
export function freeOnLine(state: LedgerState, o: OfferView, d: DemandView, e: Eligible, now: number, cuts: ReadonlyMap<string, number>): number {
  // the line's list as it stands, with the cut ones at their new units (same order: the due dates do not move)
  const out = commitmentsOn(state, o.id, e.route.line, 'planning').map((c) => {
    const to = cuts.get(c.id);
    return to === undefined ? c : { days: to / c.rate, due: c.due };
  });
  return maxAddableUnits(windowOf(o), now, out, dueFor(d, e), e.route.unitsPerDay);
}

/** The commitments on one line among matches in `statuses`, each with the units `unitsOf` gives it (0: left out). */
function lineCommitments(state: LedgerState, offerId: string, line: number, statuses: ReadonlySet<string>, unitsOf: (m: Match) => number): LineCommitment[] {
  const out: LineCommitment[] = [];
  for (const id of state.activeForOffer(offerId)) {
    const m = state.matches.get(id);
    if (!m || !statuses.has(m.status)) continue;
    const units = unitsOf(m);
    if (units <= 0) continue;
    const l = lineOf(state, m);
    if (l.line === line) out.push({ days: units / l.rate, due: l.due, id: m.id, rate: l.rate });
  }
  // earliest due first, as the capacity checks read them
  return out.sort((a, b) => a.due - b.due);
}

/** Where the confirmed matches on a line, with one more, would not fit: the first date it could not make them. */
export function confirmationOverflow(state: LedgerState, o: Pick<OfferView, 'id' | 'availableFrom' | 'availableTo'>, m: Match, now: number) {
  const l = lineOf(state, m);
  const commitments = [...commitmentsOn(state, o.id, l.line, 'reserved', m.id), { days: m.units / l.rate, due: l.due }];
  const over = overflow(windowOf(o), now, commitments);
  return over ? { ...over, rate: l.rate, line: l.line } : null;
}

/** Lines of an offer whose planned commitments no longer fit (after a confirmation, an edit, time passing). */
export function overbookedLines(state: LedgerState, o: Pick<OfferView, 'id' | 'availableFrom' | 'availableTo' | 'products'>, now: number, which: 'planning' | 'reserved' = 'planning'): number[] {
  return o.products.map((_, i) => i).filter((i) => overflow(windowOf(o), now, commitmentsOn(state, o.id, i, which)) !== null);
}

/** Units of a demand not yet confirmed nor proposed. */
export function uncoveredUnits(state: LedgerState, d: DemandView) {
  return d.remainingUnits - state.proposedForDemand(d.id);
}

/**
 * Proposals for a demand: the best eligible offers by score, split until it is covered. Calls `propose`
 * for each, in order; `propose` changes the state (the units become proposed) before the next is chosen.
 * It looks among the demand's best `BEST_OFFERS` offers, the ones the global allocation draws its arcs from
 * (in a market where every line is full, reading all of them for every demand short of units was about a quarter
 * of a slow event's time at 10k postings).
 */
export function planForDemand(state: LedgerState, demandId: string, now: number, propose: (p: Plan) => void): number {
  const d = state.demandView(demandId, now);
  if (!d || uncoveredUnits(state, d) <= 0) return 0;
  const taken = new Set(state.pendingForDemand(d.id).map((m) => m.offerId));
  const candidates: { o: OfferView; e: Eligible; score: number }[] = [];
  const order = (a: { o: OfferView; score: number }, b: { o: OfferView; score: number }) => b.score - a.score || a.o.id.localeCompare(b.o.id);
  // the offers are listed best scored for all the demand's units first (within the hour), and a score for fewer
  // units is no higher: once CANDIDATES_PER_RUN offers that can give units are found, an offer listed below the
  // lowest of their scores cannot be among the best of them
  const all = eligibleFor(state, d, now);
  const scan = Math.min(all.length, BEST_OFFERS);
  for (let i = 0; i < scan; i++) {
    const c = all[i];
    if (candidates.length === CANDIDATES_PER_RUN && c.score < candidates[CANDIDATES_PER_RUN - 1].score) break;
    if (taken.has(c.o.id) || state.offerView(c.o.id, now) !== c.o) continue;
    const free = lineFree(state, c.o, d, c.e, now);
    if (free <= 0) continue;
    const units = Math.min(free, c.e.deliverableUnits, uncoveredUnits(state, d));
    if (units < c.o.minOrderUnits) continue;
    insertInOrder(candidates, { o: c.o, e: c.e, score: scoreOf(c.o, d, c.e, units, now) }, order, CANDIDATES_PER_RUN);
  }
  let made = 0;
  for (const c of candidates) {
    const uncovered = uncoveredUnits(state, d);
    if (uncovered <= 0 || made >= MAX_PROPOSALS_PER_RUN) break;
    // the hour's evaluation chose it; the proposal is sized on the exact one
    const e = fresh(c.o, d, now);
    if (!e) continue;
    const units = Math.min(e.deliverableUnits, uncovered, lineFree(state, c.o, d, e, now));
    if (units < c.o.minOrderUnits || units <= 0) continue;
    propose({ offer: c.o, demand: d, e, units });
    made++;
  }
  return made;
}

/** Proposals for an offer: the most urgent eligible demands first, split over as many as it can serve. */
export function planForOffer(state: LedgerState, offerId: string, now: number, propose: (p: Plan) => void): number {
  const o = state.offerView(offerId, now);
  if (!o) return 0;
  // a line with nothing free even by the end of the window can promise nothing: skip the demands altogether
  if (o.products.every((_, line) => Math.floor(freeDaysAtEnd(state, o, line, now) + 1e-6) <= 0)) return 0;
  const taken = new Set(state.pendingForOffer(o.id).map((m) => m.demandId));
  const candidates: { d: DemandView; e: Eligible; score: number }[] = [];
  for (const d of state.demandsFor(o.id, now)) {
    if (taken.has(d.id) || uncoveredUnits(state, d) <= 0) continue;
    // the pair alone: patching every short demand's list with this offer to read one entry copied hundreds of lists
    const e = state.isDeclined(d.id, o.id) ? null : fresh(o, d, now);
    if (!e) continue;
    candidates.push({ d, e, score: scoreOf(o, d, e, Math.min(e.deliverableUnits, uncoveredUnits(state, d)), now) });
  }
  candidates.sort((a, b) => priorityWeight[b.d.priority] - priorityWeight[a.d.priority] || a.d.deadline - b.d.deadline || b.score - a.score);
  let made = 0;
  for (const c of candidates) {
    if (made >= MAX_PROPOSALS_PER_RUN) break;
    const e = c.e;
    const units = Math.min(lineFree(state, o, c.d, e, now), e.deliverableUnits, uncoveredUnits(state, c.d));
    if (units < o.minOrderUnits) continue;
    propose({ offer: o, demand: c.d, e, units });
    made++;
  }
  return made;
}

const fmtUnits = (n: number) => Math.round(n).toLocaleString('en-US');

/** Adds a reason to a list, merging it with one of the same code: id lists are united, unit counts added. */
export function mergeReason(into: Reason[], r: Reason, sumKeys: readonly string[] = ['freeUnits', 'moreUrgentUnits', 'sameOrLessUrgentUnits', 'proposedHereUnits', 'confirmedHereUnits', 'deliverableUnits', 'demands', 'units']) {
  const same = into.find((x) => x.code === r.code);
  if (!same) {
    into.push({ code: r.code, params: { ...(r.params ?? {}) }, message: r.message });
    return;
  }
  const p = (same.params ??= {});
  for (const [k, v] of Object.entries(r.params ?? {})) {
    const cur = p[k];
    if (Array.isArray(v) && Array.isArray(cur)) p[k] = [...new Set([...cur, ...v])];
    else if (typeof v === 'number' && typeof cur === 'number' && sumKeys.includes(k)) p[k] = cur + v;
    else if (cur === undefined) p[k] = v;
  }
}

/**
 * Units on the offer's line other demands hold (pending or confirmed, not yet made), by whether they are
 * more urgent than `d`.
 */
function lineHolders(state: LedgerState, o: OfferView, d: DemandView, line: number) {
  let moreUrgent = 0;
  let others = 0;
  let here = 0;
  let confirmedHere = 0;
  for (const id of state.activeForOffer(o.id)) {
    const m = state.matches.get(id);
    if (!m || lineOf(state, m).line !== line) continue;
    if (m.demandId === d.id) {
      if (pendingStatuses.includes(m.status)) here += m.units;
      else confirmedHere += m.units;
    }
    else if (priorityWeight[m.priority as keyof typeof priorityWeight] > priorityWeight[d.priority]) moreUrgent += m.units;
    else others += m.units;
  }
  return { moreUrgent, others, here, confirmedHere };
}

/** ", 5,000 confirmed and 1,000 proposed for this one": what the line already gives the demand itself. */
function thisOne(held: { here: number; confirmedHere: number }) {
  const parts = [held.confirmedHere ? `${fmtUnits(held.confirmedHere)} confirmed` : '', held.here ? `${fmtUnits(held.here)} proposed` : ''].filter(Boolean);
  return parts.length ? `, ${parts.join(' and ')} for this one` : '';
}

/** Why one eligible offer gives a demand no more than it does (empty: nothing stops it). */
function eligibleShortfall(state: LedgerState, o: OfferView, d: DemandView, e: Eligible, now: number, short: number): Reason[] {
  if (state.isDeclined(d.id, o.id)) {
    const lapsed = state.matchIdsFor(d.id).some((id) => {
      const m = state.matches.get(id);
      return m?.offerId === o.id && m.status === 'expired' && m.lapsedBy !== undefined;
    });
    return [lapsed ? { code: 'lapsed', params: {}, message: 'a proposal between them lapsed unanswered' } : { code: 'declined', params: {}, message: 'a proposal between them was declined' }];
  }
  const free = lineFree(state, o, d, e, now);
  const held = lineHolders(state, o, d, e.route.line);
  const pendingHere = state.pendingForDemand(d.id).filter((m) => m.offerId === o.id).reduce((n, m) => n + m.units, 0);
  const dueAt = new Date(dueFor(d, e)).toISOString();
  if (free < o.minOrderUnits) {
    return [{
      code: 'capacity',
      params: { freeUnits: Math.max(0, free), dueAt, moreUrgentUnits: held.moreUrgent, sameOrLessUrgentUnits: held.others, proposedHereUnits: held.here, confirmedHereUnits: held.confirmedHere },
      message: held.moreUrgent > 0
        ? `its line has no units left by ${dueAt.slice(0, 10)}: ${fmtUnits(held.moreUrgent)} are held for more urgent demands, ${fmtUnits(held.others)} for others${thisOne(held)}`
        : `its line has no units left by ${dueAt.slice(0, 10)}: all are already proposed or reserved${thisOne(held)}`,
    }];
  }
  if (pendingHere > 0 && e.deliverableUnits <= held.here + held.confirmedHere) {
    return [{
      code: 'deliverable',
      params: { deliverableUnits: e.deliverableUnits, proposedHereUnits: held.here, confirmedHereUnits: held.confirmedHere, deadline: new Date(d.deadline).toISOString() },
      message: `can make only ${fmtUnits(e.deliverableUnits)} by the deadline, all of them proposed or confirmed for this demand`,
    }];
  }
  const units = Math.min(free, e.deliverableUnits, short);
  if (pendingHere === 0 && units < o.minOrderUnits) {
    return [{ code: 'min_order', params: { units, minOrderUnits: o.minOrderUnits }, message: `could send ${fmtUnits(units)} units, below the supplier's minimum order of ${fmtUnits(o.minOrderUnits)}` }];
  }
  return [];
}

/**
 * Why the units of a demand still short are not covered, one entry per supplier (its offers together): the
 * near misses (an offer that almost fits: the supplier makes the category or holds part of what converting to
 * it needs) and, for a demand partly covered, why the suppliers that do or could serve it give no more
 * (capacity held for more urgent demands, only so much by the deadline, minimum order, declined).
 */
export function nearMisses(state: LedgerState, demandId: string, now: number, limit = 10): NearMiss[] {
  const d = state.demandView(demandId, now);
  if (!d) return [];
  const short = uncoveredUnits(state, d);
  if (short <= 0) return [];
  const servedBy = new Map<string, number>();
  for (const id of state.matchIdsFor(d.id)) {
    const m = state.matches.get(id);
    if (m && (pendingStatuses.includes(m.status) || m.status === 'confirmed' || m.status === 'in_production' || m.status === 'shipped' || m.status === 'delivered')) {
      servedBy.set(m.offerId, (servedBy.get(m.offerId) ?? 0) + m.units);
    }
  }
  const groups = new Map<string, NearMiss & { reasons: Reason[] }>();
  for (const o of state.openOffers(now)) {
    const e = evaluate(o, d, now);
    let reasons: Reason[];
    if (e.eligible) reasons = eligibleShortfall(state, o, d, e, now, short);
    else if (e.near) reasons = e.reasons;
    else continue;
    if (!reasons.length) continue;
    let g = groups.get(o.orgId);
    if (!g) groups.set(o.orgId, (g = { offerId: o.id, supplierOrgName: o.orgName, supplierOrgNameZh: o.orgNameZh ?? o.orgName, offerIds: [], proposedUnits: 0, reasons: [] }));
    g.offerIds!.push(o.id);
    g.proposedUnits! += servedBy.get(o.id) ?? 0;
    for (const r of reasons) mergeReason(g.reasons, r);
  }
  const out = [...groups.values()];
  // suppliers already serving it first (why they give no more), then the closest misses
  out.sort((a, b) => Number(b.proposedUnits! > 0) - Number(a.proposedUnits! > 0) || a.reasons.length - b.reasons.length || a.offerId.localeCompare(b.offerId));
  return out.slice(0, limit).map((g) => ({ ...g, reasons: g.reasons.map((r) => ({ code: r.code, params: r.params ?? {}, message: r.message })) }));
}

/** One reason of an offer's, aggregated over the demands it applies to. */
export interface OfferReason extends Reason {
  params: ReasonParams;
  /** Open demands it applies to, and the units they still need: per category, and in all only if one category. */
  demands: number;
  units: number | null;
  unitsByCategory: { category: string; units: number }[];
}

/**
 * Why an offer gets nothing, or less than it could: over the open demands in every category it can make (or
 * convert to), the reasons each does not go to it, counted per code. Never names a buyer nor shows a buyer's
 * price: prices and places are summarized (e.g. "above the ceiling of 3 of 4 demands").
 */
export function offerReasons(state: LedgerState, offerId: string, now: number) {
  const o = state.offers.get(offerId);
  if (!o) return null;
  const view = state.offerView(offerId, now);
  const reasons: OfferReason[] = [];
  const add = (r: Reason) => {
    if (!reasons.some((x) => x.code === r.code)) reasons.push({ code: r.code, params: { ...(r.params ?? {}) }, message: r.message, demands: 0, units: 0, unitsByCategory: [] });
    else mergeReason(reasons as Reason[], r, ['afterDeadline', 'windowEnds', 'moreUrgentUnits']);
  };
  // the certifications the catalog says every buyer of its products requires
  const certs = new Set([...(state.orgs.get(o.organizationId)?.certifications ?? []), ...o.certifications]);
  for (const p of o.products) {
    const cat = findCategory(p.category);
    const missing = cat?.certifications.filter((c) => !certs.has(c)) ?? [];
    if (missing.length) {
      add({ code: 'certification', params: { certifications: missing, categories: [p.category], requiredByCatalog: true }, message: `every buyer of ${cat!.name.en} requires ${missing.join(', ')}, which the offer lacks` });
    }
  }
  const base = { offerId, status: o.status, proposedUnits: o.status === 'open' ? state.proposedForOffer(offerId) : 0, reservedUnits: o.reservedUnits, candidateDemands: 0 };
  if (!view) {
    const why = o.status !== 'open' ? `the offer is ${o.status}` : o.totalUnits - o.reservedUnits <= 0 ? 'all its units are reserved' : 'its window has ended';
    add({ code: 'closed', params: { status: o.status }, message: why });
    return { ...base, reasons };
  }
  const demands = state.demandsFor(offerId, now);
  const servable = servableCategories(view, catalog.categories);
  if (!demands.length) {
    add({ code: 'no_demand', params: { categories: servable }, message: 'no open demand in any category it can make or convert to' });
    return { ...base, reasons };
  }
  const pendingHere = new Set(state.pendingForOffer(offerId).map((m) => m.demandId));
  // the offer's price is the price of its own products: it is compared only with the ceilings of demands for them
  const ownProducts = new Set(view.products.map((p) => p.category));
  let withCeiling = 0;
  let priceRefused = 0;
  const perCode = new Map<string, { demands: number; units: Map<string, number> }>();
  for (const d of demands) {
    if (pendingHere.has(d.id)) continue;
    base.candidateDemands++;
    const short = uncoveredUnits(state, d);
    const e = evaluate(view, d, now);
    const own = ownProducts.has(d.category);
    if (own && d.maxPricePerUnit !== null) withCeiling++;
    let rs: Reason[];
    if (e.eligible) {
      if (short <= 0) rs = [{ code: 'covered', params: {}, message: 'covered by other proposals or confirmed matches' }];
      else rs = eligibleShortfall(state, view, d, e, now, short);
    } else rs = e.reasons;
    for (const r of rs) {
      if (r.code === 'price' && !own) continue;
      const c = perCode.get(r.code) ?? { demands: 0, units: new Map<string, number>() };
      c.demands += 1;
      c.units.set(d.category, (c.units.get(d.category) ?? 0) + Math.max(0, short));
      perCode.set(r.code, c);
      if (r.code === 'price') priceRefused++;
      add(supplierSideReason(r, view));
    }
  }
  const total = (r: OfferReason) => r.unitsByCategory.reduce((n, u) => n + u.units, 0);
  for (const r of reasons) {
    const c = perCode.get(r.code);
    if (!c) continue;
    r.demands = c.demands;
    r.unitsByCategory = [...c.units].map(([category, units]) => ({ category, units })).sort((a, b) => b.units - a.units || a.category.localeCompare(b.category));
    // units of different products are never added up
    r.units = r.unitsByCategory.length === 1 ? r.unitsByCategory[0].units : null;
    if (r.code === 'price') {
      const categories = [...new Set(r.unitsByCategory.map((u) => u.category))];
      r.params = { pricePerUnit: view.pricePerUnit, demands: priceRefused, demandsWithCeiling: withCeiling, aboveEveryCeiling: priceRefused === withCeiling, categories };
      r.message = priceRefused === withCeiling
        ? `asks ¥${view.pricePerUnit?.toFixed(2)} per unit, above the maximum of every buyer of its products with one (${priceRefused})`
        : `asks ¥${view.pricePerUnit?.toFixed(2)} per unit, above the maximum of ${priceRefused} of ${withCeiling} buyers of its products with one`;
    }
    const units = r.unitsByCategory.map((u) => `${fmtUnits(u.units)} ${findCategory(u.category)?.unit.en ?? 'units'} of ${u.category}`).join(', ');
    if (r.code !== 'certification' || !r.params.requiredByCatalog) r.message = `${r.message} (${c.demands} demand${c.demands === 1 ? '' : 's'}${units ? `: ${units}` : ''})`;
  }
  reasons.sort((a, b) => b.demands - a.demands || total(b) - total(a) || a.code.localeCompare(b.code));
  return { ...base, reasons };
}

/** A reason as the supplier may read it: no buyer's price, deadline or place. */
function supplierSideReason(r: Reason, o: OfferView): Reason {
  const p = r.params ?? {};
  switch (r.code) {
    case 'price':
      return { code: 'price', params: { pricePerUnit: o.pricePerUnit }, message: 'asks more than buyers will pay' };
    case 'time':
      return { code: 'time', params: { afterDeadline: p.kind === 'after_deadline' ? 1 : 0, windowEnds: p.kind === 'window_ends' ? 1 : 0 }, message: p.kind === 'after_deadline' ? 'too far or too late: it can deliver only after their deadlines' : 'its window ends before production could start' };
    case 'min_order':
      return { code: 'min_order', params: { minOrderUnits: o.minOrderUnits }, message: `they need fewer units than its minimum order of ${fmtUnits(o.minOrderUnits)}` };
    case 'capacity':
      return { code: 'capacity', params: { moreUrgentUnits: p.moreUrgentUnits ?? 0 }, message: 'its line has no units left by the dates they are due' };
    case 'deliverable':
      return { code: 'deliverable', params: {}, message: 'it can make no more by their deadlines' };
    case 'declined':
    case 'lapsed':
      return { code: r.code, params: {}, message: r.code === 'declined' ? 'a proposal was declined' : 'a proposal lapsed unanswered' };
    case 'covered':
      return r;
    case 'certification_expired':
      // the date units are due is the buyer's deadline less transit: not for the supplier
      return { code: r.code, params: { certifications: p.certifications ?? [], validUntil: p.validUntil ?? null }, message: `${r.message.replace(/, (before|after) the units are due \d{4}-\d{2}-\d{2}/g, '')}: not valid when buyers need the units` };
    default:
      // category and certification reasons are about the offer itself
      return { code: r.code, params: { ...p }, message: r.message };
  }
}

export interface GlobalPlan {
  instance: AllocationInstance;
  /** Proposals of the optimum, other than the unaccepted ones it keeps as they are. */
  plans: Plan[];
  /** Unaccepted proposals the optimum replaces. */
  replaced: string[];
  kept: number;
  held: number;
  previousWeighted: number;
  unitsAllocated: number;
  weightedUnits: number;
  totalCost: number;
  solveMs: number;
}

type Candidate = { o: OfferView; e: Eligible; cost: number; score: number };
type CandidateEntry = { view: DemandView; epoch: number; hour: number; all: Candidate[]; top: Map<number, Candidate[]>; byOffer: Map<string, Candidate> };
type CandidateCache = { byDemand: Map<string, CandidateEntry>; byOffer: Map<string, Set<string>> };
const candidateCache = new WeakMap<LedgerState, CandidateCache>();

const byScore = (a: Candidate, b: Candidate) => b.score - a.score || a.o.id.localeCompare(b.o.id) || a.e.route.line - b.e.route.line;

function candidate(state: LedgerState, o: OfferView, d: DemandView, now: number): Candidate | null {
  if (state.isDeclined(d.id, o.id)) return null;
  const e = evaluate(o, d, now, false);
  if (!e.eligible) return null;
  return { o, e, cost: Math.round(unitCost(o, d, e.distanceKm) * 100) / 100, score: scoreOf(o, d, e, Math.min(d.remainingUnits, e.deliverableUnits), now) };
}

/**
 * Every offer that can serve a demand, best scored first (scored for the demand's remaining units). Kept per
 * demand until the demand or the hour changes; when offers serving its category change, only those offers are
 * evaluated again (`LedgerState.changedSince`). The evaluations are the hour's: whoever proposes from them checks
 * the line's free units exactly, and `fresh` evaluates a chosen pair at the exact time.
 */
export function eligibleFor(state: LedgerState, d: DemandView, now: number): Candidate[] {
  let cache = candidateCache.get(state);
  if (!cache) candidateCache.set(state, (cache = { byDemand: new Map(), byOffer: new Map() }));
  const epoch = state.epochOf(d.category);
  const hour = Math.floor(now / 3_600_000);
  const hit = cache.byDemand.get(d.id);
  if (hit && hit.view === d && hit.hour === hour) {
    if (hit.epoch === epoch) return hit.all;
    const changed = state.changedSince(d.category, hit.epoch);
    if (changed) {
      // the changed offers leave the list and come back where their new evaluation puts them; a list that changes is
      // a new array (holders of the old one keep it as it was)
      const ids = new Set(changed);
      let removed = 0;
      for (const id of ids) if (hit.byOffer.delete(id)) removed++;
      let all = removed ? hit.all.filter((c) => !ids.has(c.o.id)) : hit.all;
      const added: Candidate[] = [];
      for (const id of ids) {
        const o = state.offerView(id, now);
        if (!o || !state.categoriesOf(id).includes(d.category)) continue;
        const c = candidate(state, o, d, now);
        if (!c) continue;
        // one sorted insertion per changed offer
        let lo = 0;
        let hi = all.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (byScore(all[mid], c) <= 0) lo = mid + 1;
          else hi = mid;
        }
        if (all === hit.all) {
          // a copy with room for it (holders of the old list keep it)
          const copy = new Array<Candidate>(all.length + 1);
          for (let i = 0; i < lo; i++) copy[i] = all[i];
          for (let i = lo; i < all.length; i++) copy[i + 1] = all[i];
          all = copy;
        } else {
          all.push(c);
          for (let i = all.length - 1; i > lo; i--) all[i] = all[i - 1];
        }
        all[lo] = c;
        hit.byOffer.set(id, c);
        if (lo < LISTED) added.push(c);
      }
      const before = hit.all;
      hit.epoch = epoch;
      hit.all = all;
      hit.top = new Map();
      // the reverse index forgets the offers that left the best, and learns those that entered it: those added, and
      // those moved up into the best by the ones that left
      dropBack(cache, before, all, d.id);
      for (const c of added) indexBack(cache, c.o.id, d.id);
      for (let i = Math.max(0, LISTED - removed); i < all.length && i < LISTED; i++) indexBack(cache, all[i].o.id, d.id);
      return all;
    }
  }
  const all: Candidate[] = [];
  for (const o of state.offersServing(d.category, now)) {
    const c = candidate(state, o, d, now);
    if (c) all.push(c);
  }
  all.sort(byScore);
  return remember(cache, d, epoch, hour, all);
}

/** Stores a demand's list (`byOffer`: its index by offer, when patched rather than built). */
function remember(cache: CandidateCache, d: DemandView, epoch: number, hour: number, all: Candidate[], byOffer = new Map(all.map((c) => [c.o.id, c]))) {
  if (cache.byDemand.size > 200_000) {
    cache.byDemand.clear();
    cache.byOffer.clear();
  }
  const previous = cache.byDemand.get(d.id);
  if (previous) dropBack(cache, previous.all, all, d.id);
  cache.byDemand.set(d.id, { view: d, epoch, hour, all, top: new Map(), byOffer });
  for (let i = 0; i < all.length && i < LISTED; i++) indexBack(cache, all[i].o.id, d.id);
  return all;
}

const bestScratch = new Set<string>();

/** Unindexes a demand from the offers that were among its best in `before` and are not in `after`. */
function dropBack(cache: CandidateCache, before: Candidate[], after: Candidate[], demandId: string) {
  const n = Math.min(before.length, LISTED);
  let same = true;
  for (let i = 0; i < n && same; i++) same = before[i] === after[i];
  if (same) return;
  const best = bestScratch;
  best.clear();
  for (let i = 0; i < after.length && i < LISTED; i++) best.add(after[i].o.id);
  for (let i = 0; i < n; i++) if (!best.has(before[i].o.id)) cache.byOffer.get(before[i].o.id)?.delete(demandId);
}

function indexBack(cache: CandidateCache, offerId: string, demandId: string) {
  let set = cache.byOffer.get(offerId);
  if (!set) cache.byOffer.set(offerId, (set = new Set()));
  set.add(demandId);
}

const NONE: ReadonlySet<string> = new Set();

/** How many arcs the global allocation gives a demand at most, among its best `2 ×` that many offers. */
export const ARCS_PER_DEMAND = 40;

/** How many of a demand's best offers it is filled from (`planForDemand`): those the global allocation draws from. */
const BEST_OFFERS = 2 * ARCS_PER_DEMAND;

/**
 * How many of a demand's best offers are indexed back to it (`demandsListing`): a change to an offer looks for the
 * demands waiting for it among those that rank it this high (indexing the best 80 made the index and the demands
 * the neighbourhood reads about three times as large, for no better proposals: bench:replan).
 */
const LISTED = 24;

/** The best `limit` offers for a demand: the arcs the global allocation may use. */
export function candidatesFor(state: LedgerState, d: DemandView, now: number, limit: number): Candidate[] {
  const all = eligibleFor(state, d, now);
  const entry = candidateCache.get(state)!.byDemand.get(d.id)!;
  let top = entry.top.get(limit);
  if (!top) entry.top.set(limit, (top = all.slice(0, limit)));
  return top;
}

/**
 * `candidatesFor` limited to some offers (distinct; `ids`, their ids), in the same order: looked up by offer when
 * they are fewer than `limit` (a neighbourhood's 16 offers, not a scan of the demand's best 80).
 */
export function candidatesAmong(state: LedgerState, d: DemandView, now: number, limit: number, offers: readonly OfferView[], ids: ReadonlySet<string>): readonly Candidate[] {
  if (offers.length >= limit) return candidatesFor(state, d, now, limit).filter((c) => ids.has(c.o.id));
  const all = eligibleFor(state, d, now);
  const { byOffer } = candidateCache.get(state)!.byDemand.get(d.id)!;
  const last = all.length > limit ? all[limit - 1] : undefined;
  const out: Candidate[] = [];
  for (const o of offers) {
    const c = byOffer.get(o.id);
    if (c && (!last || byScore(c, last) <= 0)) insertInOrder(out, c, byScore);
  }
  return out;
}

/** A demand's candidate entry for one offer, if the offer can serve it (from the cached list). */
export function candidateOf(state: LedgerState, d: DemandView, offerId: string, now: number): Candidate | undefined {
  eligibleFor(state, d, now);
  return candidateCache.get(state)!.byDemand.get(d.id)!.byOffer.get(offerId);
}

/**
 * Demands whose list of offers, as last read, has this offer among its best (`LISTED`); a list is patched when
 * it is read, so callers check. Only demands whose offers were looked at since the cache was last cleared are known.
 */
export function demandsListing(state: LedgerState, offerId: string): ReadonlySet<string> {
  return candidateCache.get(state)?.byOffer.get(offerId) ?? NONE;
}

/** The evaluation of a pair at the exact time (cached evaluations are the hour's). */
export function fresh(o: OfferView, d: DemandView, now: number): Eligible | null {
  const e = evaluate(o, d, now, false);
  return e.eligible ? e : null;
}

/** How far ahead the global allocation counts a line's days (three years): a later date counts as that day. */
export const PLAN_HORIZON_DAYS = 3 * 366;

/** A part of the market solved alone (`LedgerState.component`), and whether standing proposals win ties (live re-planning, which also starts each solve from the last one's basis). */
export interface GlobalScope {
  offers: OfferView[];
  demands: DemandView[];
  preferStanding?: boolean;
  /** Offers the change posted or edited: their arcs stand like the standing proposals' (`STANDING_BONUS`). */
  posted?: ReadonlySet<string>;
}

/**
 * How much more a unit already proposed weighs in live re-planning, as a share of its priority weight: a change
 * moves standing proposals only where that gains more than this per unit moved, or to a cheaper line the change
 * posted or edited (whose arcs stand alike), so live proposals stay within 1 / (1 + STANDING_BONUS) of the best
 * priority-weighted units and long chains of re-timing for a few units are not made. Measured by bench:replan.
 */
export const STANDING_BONUS = 0.005;

/** The live solves' last bases (`WarmStart`), per ledger state; cleared when it grows past what a large market needs. */
const warmStarts = new WeakMap<LedgerState, WarmStart>();
function warmStartOf(state: LedgerState): WarmStart {
  let memo = warmStarts.get(state);
  if (!memo || memo.size > 2_000_000) warmStarts.set(state, (memo = new WarmStart()));
  return memo;
}

/**
 * The global allocation over every open posting, solved exactly on the time-expanded network of production
 * lines and days (most priority-weighted units, then least cost). Units a conversion makes at another rate are
 * counted in the line's own units here; the proposals made from the plan are sized by the exact per-line check. Proposals a party accepted, and confirmed matches, are kept
 * and their units held; unaccepted proposals that differ from the optimum are replaced.
 */
export function planGlobal(state: LedgerState, now: number, maxArcsPerDemand = ARCS_PER_DEMAND, scope?: GlobalScope): GlobalPlan {
  const started = performance.now();
  const heldByDemand = new Map<string, number>();
  const unaccepted = new Map<string, Map<string, { id: string; units: number }>>(); // by demand, then offer
  let previousWeighted = 0;
  let held = 0;
  const openOffers = scope ? scope.offers : state.openOffers(now);
  const openDemands = scope ? scope.demands : state.openDemands(now);
  // re-decided: the unaccepted proposals between the postings solved; every other commitment is held
  const offerIds = new Set(openOffers.map((o) => o.id));
  const unacceptedIds = new Set<string>();
  const pending = (p: Match, d: { priority: Demand['priority'] } | undefined) => {
    if (d) previousWeighted += priorityWeight[d.priority] * p.units;
    if (p.status === 'proposed' && (!scope || offerIds.has(p.offerId))) {
      let byOffer = unaccepted.get(p.demandId);
      if (!byOffer) unaccepted.set(p.demandId, (byOffer = new Map()));
      byOffer.set(p.offerId, { id: p.id, units: p.units });
      unacceptedIds.add(p.id);
    } else {
      held++;
      heldByDemand.set(p.demandId, (heldByDemand.get(p.demandId) ?? 0) + p.units);
    }
  };
  if (scope) for (const d of openDemands) for (const p of state.pendingForDemand(d.id)) pending(p, d);
  else for (const p of state.pendingMatches()) pending(p, state.demands.get(p.demandId));
  // the time-expanded network: one supply per production line and day; a demand draws from the days up to its due
  // date, output made earlier being held for it
  const instance: AllocationInstance = { supplies: [], demands: [], arcs: [] };
  // per arc of the instance, the pair it stands for
  const evaluations: { o: OfferView; d: DemandView; e: Eligible }[] = [];
  const dayIndex = (t: number) => Math.floor((t - now) / DAY_MS + 1 / 24) - 1;
  // the last day any demand here can be due: a line's output after it can serve none of them (an offer open until
  // 9999 is not 2.9 million day buckets); a date past PLAN_HORIZON_DAYS counts as that day, which only ever
  // promises less (the per-line check sizes every proposal exactly)
  let horizon = 0;
  for (const d of openDemands) horizon = Math.max(horizon, Math.min(PLAN_HORIZON_DAYS, dayIndex(d.deadline)));
  const dayOf = (t: number) => Math.min(PLAN_HORIZON_DAYS, dayIndex(t));
  // one supply per line, each of its days' output in its own product's units (a converted line's output is counted
  // in them too: the per-line check sizes what the line really gives)
  const supplies = new Map<string, (string | null)[]>(); // by offer, per line: its supply id, null if it makes nothing
  const supplyFor = (o: OfferView, e: Eligible): string | null => {
    const line = e.route.line;
    let lines = supplies.get(o.id);
    if (!lines) supplies.set(o.id, (lines = []));
    const known = lines[line];
    if (known !== undefined) return known;
    const id = `${o.id}#${line}`;
    const w = windowOf(o);
    const first = Math.max(0, Math.ceil((w.from - now) / DAY_MS - 1 / 24));
    const working = daysBy(w, now, w.to);
    const rate = o.products[line].unitsPerDay;
    lines[line] = working > 0 ? id : null;
    if (working <= 0) return null;
    // the commitments on the line that are not re-decided keep their units, each by its due date (as the per-line
    // check counts them): the line offers what is left (`outputLeft`), over its days up to the last one any of
    // them or a demand here is due
    const keptDue: [number, number][] = [];
    let last = horizon;
    for (const mid of state.activeForOffer(o.id)) {
      if (unacceptedIds.has(mid)) continue;
      const m = state.matches.get(mid)!;
      if (!scope && m.status === 'proposed') continue;
      const l = lineOf(state, m);
      if (l.line !== line) continue;
      const day = Math.max(0, dayOf(l.due));
      keptDue.push([day, Math.ceil((m.units / l.rate) * rate - 1e-6)]);
      last = Math.max(last, day);
    }
    const length = Math.min(first + working, last + 1);
    let days = Array.from({ length }, (_, k) => (k < first ? 0 : rate));
    if (keptDue.length) {
      const dueBy = new Array<number>(length).fill(0);
      for (const [day, units] of keptDue) dueBy[Math.min(length - 1, day)] += units;
      days = outputLeft(days, dueBy);
    }
    if (days.length > horizon + 1) days = days.slice(0, horizon + 1);
    instance.supplies.push({ id, units: days.reduce((a, b) => a + b, 0), days });
    return id;
  };
  const demands = [...openDemands].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // per arc, the units live re-planning keeps on it unless moving them gains (`Standing`): an unaccepted proposal's,
  // and all an offer the change posted or edited can give (so a cheaper line takes a demand over)
  const standingUnits: number[] = [];
  for (const d of demands) {
    const units = d.remainingUnits - (heldByDemand.get(d.id) ?? 0);
    if (units <= 0) continue;
    instance.demands.push({ id: d.id, units, priority: priorityWeight[d.priority] });
    let taken = 0;
    const standingFor = unaccepted.get(d.id);
    for (const c of scope ? candidatesAmong(state, d, now, 2 * maxArcsPerDemand, openOffers, offerIds) : candidatesFor(state, d, now, 2 * maxArcsPerDemand)) {
      if (!offerIds.has(c.o.id)) continue;
      const due = dayOf(dueFor(d, c.e));
      const supply = due < 0 ? null : supplyFor(c.o, c.e);
      if (!supply) continue;
      if (++taken > maxArcsPerDemand) break;
      evaluations.push({ o: c.o, d, e: c.e });
      // a standing proposal is preferred by a tenth of a cent a unit, so equal allocations do not churn
      const standing = standingFor?.get(c.o.id);
      const stay = scope?.preferStanding && standing ? 0.001 : 0;
      // an organization under the limits for the unverified holds only a share of a critical demand (server/trust)
      const cap = d.priority === 'critical' ? shareCapLeft(state, c.o.orgId, d, now) + (standing?.units ?? 0) : Infinity;
      instance.arcs.push({ supply, demand: d.id, cost: c.cost - stay, limit: Math.min(c.e.deliverableUnits, cap), due });
      standingUnits.push(scope?.posted?.has(c.o.id) ? Infinity : (standing?.units ?? 0));
    }
  }
  instance.supplies.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { result, units: flowOf } = scope?.preferStanding
    ? solveAllocationArcs(instance, warmStartOf(state), { units: standingUnits, weight: STANDING_BONUS })
    : solveAllocationArcs(instance);
  const plans: Plan[] = [];
  const keep = new Set<string>();
  evaluations.forEach((ev, arc) => {
    const units = flowOf[arc];
    if (units <= 0) return;
    if (units < ev.o.minOrderUnits) return;
    const existing = unaccepted.get(ev.d.id)?.get(ev.o.id);
    if (existing && existing.units === units) {
      keep.add(existing.id);
      return;
    }
    plans.push({ offer: ev.o, demand: ev.d, e: ev.e, units });
  });
  // by line, then demand (the order of the flows)
  const lineKey = (p: Plan) => `${p.offer.id}#${p.e.route.line}`;
  plans.sort((a, b) => (lineKey(a) < lineKey(b) ? -1 : lineKey(a) > lineKey(b) ? 1 : a.demand.id < b.demand.id ? -1 : a.demand.id > b.demand.id ? 1 : 0));
  const replaced = [...unaccepted.values()].flatMap((byOffer) => [...byOffer.values()]).filter(({ id }) => !keep.has(id)).map(({ id }) => id);
  return {
    instance,
    plans,
    replaced,
    kept: keep.size,
    held,
    previousWeighted,
    unitsAllocated: result.unitsAllocated,
    weightedUnits: result.weightedUnits,
    totalCost: result.totalCost,
    solveMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

/**
 * Each line's days from today to the end of its window: its output goes to the commitments on it earliest due
 * first (confirmed before proposed on the same date), in the line's own units; what is left is free. The same
 * counting as every proposal and confirmation, so the chart and the checks agree.
 */
export function lineSchedules(state: LedgerState, offerId: string, now: number, maxDays = 120) {
  const o = state.offers.get(offerId);
  if (!o) return [];
  const from = Math.max(Date.parse(o.availableFrom), now);
  const to = Date.parse(o.availableTo);
  const days = Math.min(maxDays, Math.max(0, Math.floor((to - from) / DAY_MS + 1 / 24)));
  return o.products.map((p, line) => {
    const items: { days: number; due: number; confirmed: boolean }[] = [];
    for (const id of state.activeForOffer(offerId)) {
      const m = state.matches.get(id);
      if (!m || !PLANNED.has(m.status)) continue;
      const l = lineOf(state, m);
      if (l.line === line) items.push({ days: m.units / l.rate, due: l.due, confirmed: RESERVED.has(m.status) });
    }
    items.sort((a, b) => a.due - b.due || Number(b.confirmed) - Number(a.confirmed));
    let i = 0;
    const out: { date: string; committed: number; proposed: number; free: number }[] = [];
    for (let k = 0; k < days; k++) {
      let cap = 1;
      let committed = 0;
      let proposed = 0;
      while (cap > 1e-9 && i < items.length) {
        const take = Math.min(cap, items[i].days);
        if (items[i].confirmed) committed += take;
        else proposed += take;
        items[i].days -= take;
        cap -= take;
        if (items[i].days <= 1e-9) i++;
      }
      const u = (x: number) => Math.round(x * p.unitsPerDay);
      out.push({ date: new Date(from + k * DAY_MS).toISOString().slice(0, 10), committed: u(committed), proposed: u(proposed), free: u(cap) });
    }
    return { line, category: p.category, unitsPerDay: p.unitsPerDay, days: out };
  });
}

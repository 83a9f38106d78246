import { findCategory } from '../../models/catalog';
import type { Role } from '../../models/common.schema';
import type { EventType } from '../../models/events';
import type { Match, NearMiss } from '../../models/match.schema';

/**
 * Who may see what, and what each viewer sees of it: the one module for visibility. Pure functions over
 * plain data, used by the HTTP routes, the socket rooms and resync alike.
 *
 * - Coordinators and admins see everything, unshaped.
 * - A supplier or buyer sees postings of its own organization and the matches and events its
 *   organization is a party to.
 * - Confidential terms: the supplier side of a match never sees the buyer's maximum price per unit
 *   (it would anchor its asking price), nor the score parts derived from it; a buyer's near misses do not name competing suppliers nor show
 *   their asking prices.
 */

/** Who is looking: what a verified token says (an AuthContext or a socket's data). */
export interface Viewer {
  role: Role;
  organizationId: string | null;
}

/** The coordinator filter of a socket: empty lists mean everything. */
export interface ViewerFilter {
  regions: string[];
  categories: string[];
}

/** What visibility needs to know of a logged event. */
export interface EventScope {
  type: EventType;
  orgIds: string[];
  region: string | null;
  categories: string[];
}

/** Coordinators and admins: read everything, see everything unshaped. */
export function isStaff(viewer: Viewer): boolean {
  return viewer.role === 'coordinator' || viewer.role === 'admin';
}

/** Whether the viewer may read a posting of `organizationId`. */
export function canSeePosting(viewer: Viewer, posting: { organizationId: string }): boolean {
  return isStaff(viewer) || (!!viewer.organizationId && viewer.organizationId === posting.organizationId);
}

/** Whether the viewer may read a match: either party, or staff. */
export function canSeeMatch(viewer: Viewer, match: Pick<Match, 'buyerOrgId' | 'supplierOrgId'>): boolean {
  if (isStaff(viewer)) return true;
  return !!viewer.organizationId && (viewer.organizationId === match.buyerOrgId || viewer.organizationId === match.supplierOrgId);
}

/**
 * Whether the viewer may see a logged event (live or by resync): staff within their filter, anyone else
 * when its organization is named by the event. Coverage is for staff only.
 */
export function canSeeEvent(viewer: Viewer, filter: ViewerFilter, doc: EventScope): boolean {
  if (isStaff(viewer)) {
    if (doc.type === 'coverage:updated') return true;
    const { regions, categories } = filter;
    if (regions.length && (!doc.region || !regions.includes(doc.region))) return false;
    if (categories.length && !doc.categories.some((c) => categories.includes(c))) return false;
    return true;
  }
  return !!viewer.organizationId && doc.orgIds.includes(viewer.organizationId);
}

/** The side a viewer is on in a match; staff see it whole. */
export function sideOf(viewer: Viewer, match: Pick<Match, 'buyerOrgId' | 'supplierOrgId'>): 'staff' | 'buyer' | 'supplier' | 'none' {
  if (isStaff(viewer)) return 'staff';
  if (viewer.organizationId && viewer.organizationId === match.buyerOrgId) return 'buyer';
  if (viewer.organizationId && viewer.organizationId === match.supplierOrgId) return 'supplier';
  return 'none';
}

const CEILING_SUFFIX = /^(.*?),\s*within the ¥[\d.,]+ maximum$/;
const MENTIONS_CEILING = /maximum|ceiling|budget/i;

/** A summary line as the supplier may read it: the buyer's ceiling cut out, or the line dropped. */
function supplierLine(line: string): string | null {
  const m = CEILING_SUFFIX.exec(line);
  if (m) return m[1];
  return MENTIONS_CEILING.test(line) ? null : line;
}

/**
 * The price part of the score as if the buyer had set no ceiling (the catalog's reference price), and the
 * score with it: the real ones are computed from the buyer's maximum, which the supplier could solve for.
 */
function scoreWithoutCeiling(match: Match): { price: number; score: number } | null {
  const e = match.explanation;
  const category = findCategory(match.category);
  if (!category || !e.parts || !e.weights) return null;
  const price = e.pricePerUnit === null ? 0.5 : Math.max(0, Math.min(1, 1 - (e.pricePerUnit / (category.referencePricePerUnit * 1.5)) * 0.5));
  const parts = { ...e.parts, price };
  let score = 0;
  for (const k of Object.keys(parts) as (keyof typeof parts)[]) score += (e.weights[k] ?? 0) * parts[k];
  return { price, score: Math.round(Math.max(0, Math.min(1, score)) * 1e4) / 1e4 };
}

/**
 * A match as `viewer` may see it: the supplier side gets `explanation.maxPricePerUnit` null, no summary
 * line about the buyer's ceiling, and the price part and score computed against the catalog reference
 * price instead of the ceiling (else the ceiling could be solved for from them); buyers and staff get it
 * whole. Returns a copy; the input is not changed.
 */
export function shapeMatch<M extends Match>(viewer: Viewer, match: M): M {
  if (sideOf(viewer, match) !== 'supplier') return match;
  const e = match.explanation;
  if (!e) return match;
  const hidden = e.maxPricePerUnit === null ? null : scoreWithoutCeiling(match);
  return {
    ...match,
    score: hidden ? hidden.score : match.score,
    explanation: {
      ...e,
      maxPricePerUnit: null,
      parts: hidden ? { ...e.parts, price: hidden.price } : e.parts,
      summary: (e.summary ?? []).map(supplierLine).filter((l): l is string => l !== null),
    },
  };
}

/** "Supplier A", "Supplier B", ... "Supplier AA": a stable label by position in the list. */
function supplierLabel(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return `Supplier ${s}`;
}

const PRICE = /¥\s?[\d.,]+/g;

/** Parameters of a buyer-side reason a buyer may not see: the competing supplier's price and place. */
const HIDDEN_FROM_BUYER: Record<string, string[]> = { price: ['pricePerUnit'], time: ['distanceKm'] };

/**
 * A near miss (a supplier whose offers almost fit a demand, or give no more of it) as `viewer` may see it:
 * staff see who and at what price; anyone else (the buyer) sees an anonymous "Supplier A" without offer ids,
 * and reasons without the competitor's asking price or distance (in the message and in `params`). `index` is
 * the position in the list, for the label.
 */
export function shapeNearMiss(viewer: Viewer, nm: NearMiss, index = 0): NearMiss {
  if (isStaff(viewer)) return nm;
  return {
    offerId: '',
    supplierOrgName: supplierLabel(index),
    ...(nm.supplierOrgNameZh !== undefined ? { supplierOrgNameZh: supplierLabel(index).replace('Supplier', '供应商') } : {}),
    ...(nm.offerIds ? { offerIds: [] } : {}),
    ...(nm.proposedUnits !== undefined ? { proposedUnits: nm.proposedUnits } : {}),
    reasons: nm.reasons.map((r) => {
      const params = Object.fromEntries(Object.entries(r.params ?? {}).filter(([k]) => !(HIDDEN_FROM_BUYER[r.code] ?? []).includes(k)));
      return r.code === 'price'
        ? { code: r.code, params, message: 'asks more than the maximum price per unit' }
        : { code: r.code, params, message: r.message.replace(PRICE, 'a price') };
    }),
  };
}

/** A list of matches with near misses, shaped for `viewer`. */
export function shapeMatchList<L extends { items: Match[]; nearMisses: NearMiss[] }>(viewer: Viewer, list: L): L {
  return {
    ...list,
    items: list.items.map((m) => shapeMatch(viewer, m)),
    nearMisses: list.nearMisses.map((nm, i) => shapeNearMiss(viewer, nm, i)),
  };
}

/**
 * An event payload as `viewer` may see it (match events are shaped like matches; the rest is the same
 * for everyone who may see it at all).
 */
export function shapeEventPayload<P>(viewer: Viewer, type: EventType, payload: P): P {
  if (type !== 'match:proposed' && type !== 'match:updated') return payload;
  const p = payload as P & { match?: Match };
  if (!p.match) return payload;
  const shaped = shapeMatch(viewer, p.match);
  return shaped === p.match ? payload : { ...p, match: shaped };
}

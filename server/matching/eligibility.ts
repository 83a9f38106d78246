import { findCategory, findCertification, type Category } from '../../models/catalog';
import type { Explanation, ScoreParts } from '../../models/match.schema';
import { distanceKm, transitDays } from './geo';
import type { DemandView, OfferView } from './types';

export const DAY_MS = 86_400_000;

/** Weights of the score parts; they sum to 1 so the score stays in [0,1]. */
export const SCORE_WEIGHTS: ScoreParts = {
  capability: 0.2,
  coverage: 0.25,
  distance: 0.15,
  leadTime: 0.15,
  price: 0.1,
  reliability: 0.15,
};

/**
 * Why an offer does not serve a demand (or serves less of it). Codes with their `params`:
 * - `category` {category, missingCapabilities: string[], convertible: boolean}
 * - `certification` {certifications: string[]} (catalog ids missing)
 * - `certification_unverified` {certifications, claimed, submitted, rejected: string[]}: required, not verified (server/trust)
 * - `certification_expired` {certifications: string[], validUntil, dueAt}: verified, but not valid on the due date
 * - `price` {pricePerUnit, maxPricePerUnit}
 * - `min_order` {units, minOrderUnits}: units that could go below the supplier's minimum order
 * - `time` {kind: 'after_deadline' | 'window_ends', firstDelivery, deadline, availableTo, transitDays, distanceKm}
 * - `capacity` {freeUnits, dueAt, moreUrgentUnits, sameOrLessUrgentUnits, proposedHereUnits}
 * - `deliverable` {deliverableUnits, proposedHereUnits, deadline}: can make no more than this by the deadline
 * - `declined`, `lapsed` {}
 * Supplier side (per offer, aggregated over demands, see planner.offerReasons): also `no_demand` {categories},
 * `covered` {demands, units}: the demands it could serve are covered by other proposals.
 */
export type NearMissCode =
  | 'category' | 'certification' | 'certification_unverified' | 'certification_expired' | 'time' | 'price' | 'min_order' | 'capacity' | 'deliverable' | 'declined' | 'lapsed' | 'no_demand' | 'covered';

export type ReasonParams = Record<string, string | number | boolean | null | string[]>;

/** A reason: a stable `code`, `params` (ids and numbers, for rendering in the viewer's language) and an English `message`. */
export interface Reason {
  code: NearMissCode | (string & {});
  params?: ReasonParams;
  message: string;
}

export interface Route {
  mode: 'direct' | 'conversion';
  /** The product line (index in the offer's products) that makes it: its own, or the one converted. */
  line: number;
  unitsPerDay: number;
  conversionDays: number;
}

export type Eligibility =
  | {
      eligible: true;
      route: Route;
      distanceKm: number;
      transitDays: number;
      earliestStart: number;
      productionDays: number;
      /** Units the offer can make and deliver before the deadline (before capping by what is left). */
      deliverableUnits: number;
    }
  | { eligible: false; reasons: Reason[]; near: boolean };

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * How an offer can serve a category: by making it already, or by converting lines whose capabilities
 * cover the catalog's conversion rule. A converted line's daily output is the category's reference
 * output scaled by the factory's size (its best product's output against that product's reference)
 * and by the rule's throughput factor.
 */
export function routeFor(offer: Pick<OfferView, 'products' | 'capabilities' | 'conversionLeadDays'>, category: Category): Route | null {
  const directLine = offer.products.findIndex((p) => p.category === category.id);
  if (directLine >= 0) return { mode: 'direct', line: directLine, unitsPerDay: offer.products[directLine].unitsPerDay, conversionDays: 0 };
  const rule = category.conversion;
  if (!rule || !rule.requires.every((c) => offer.capabilities.includes(c))) return null;
  // the line converted is the factory's largest against its product's reference output
  let scale = 0;
  let line = 0;
  offer.products.forEach((p, i) => {
    const ref = findCategory(p.category)?.referenceUnitsPerDay ?? p.unitsPerDay;
    if (p.unitsPerDay / ref > scale) {
      scale = p.unitsPerDay / ref;
      line = i;
    }
  });
  const unitsPerDay = Math.max(1, Math.floor(category.referenceUnitsPerDay * Math.min(scale, 10) * rule.throughputFactor));
  const conversionDays = offer.conversionLeadDays > 0 ? offer.conversionLeadDays : rule.days;
  return { mode: 'conversion', line, unitsPerDay, conversionDays };
}

/** Categories an offer can serve, directly or by conversion. */
export function servableCategories(offer: Pick<OfferView, 'products' | 'capabilities' | 'conversionLeadDays'>, all: Category[]): string[] {
  return all.filter((c) => routeFor(offer, c) !== null).map((c) => c.id);
}

/** What `evaluate` answers without reasons (`why` false) for a pair that is not eligible. */
const NO_REASONS = Object.freeze([]) as unknown as Reason[];
const INELIGIBLE: Eligibility = Object.freeze({ eligible: false, near: false, reasons: NO_REASONS });

/**
 * Whether `offer` can serve `demand` at time `now`, and if not, every reason why (with `why` false, none, and `near`
 * false: the planner's lists only need to know, and the words for every pair they rule out were their largest
 * garbage).
 * `near` marks a miss worth showing a coordinator: the supplier makes the category, or holds part of what
 * converting to it needs.
 */
export function evaluate(offer: OfferView, demand: DemandView, now: number, why = true): Eligibility {
  const category = findCategory(demand.category);
  if (!category) return { eligible: false, near: false, reasons: [{ code: 'category', params: { category: demand.category, missingCapabilities: [], convertible: false }, message: `unknown category ${demand.category}` }] };
  const reasons: Reason[] = why ? [] : NO_REASONS;
  const route = routeFor(offer, category);
  let near = true;
  if (!route) {
    if (!why) return INELIGIBLE;
    const missing = category.conversion?.requires.filter((c) => !offer.capabilities.includes(c)) ?? [];
    near = !!category.conversion && missing.length < category.conversion.requires.length;
    reasons.push({
      code: 'category',
      params: { category: category.id, missingCapabilities: missing, convertible: !!category.conversion },
      message: category.conversion
        ? `does not make ${category.name.en} and lacks ${missing.join(', ')} to convert`
        : `does not make ${category.name.en}, which cannot be made by converting other lines`,
    });
  }

  if (demand.maxPricePerUnit !== null && offer.pricePerUnit !== null && offer.pricePerUnit > demand.maxPricePerUnit) {
    if (!why) return INELIGIBLE;
    reasons.push({
      code: 'price',
      params: { pricePerUnit: offer.pricePerUnit, maxPricePerUnit: demand.maxPricePerUnit },
      message: `asks ¥${offer.pricePerUnit.toFixed(2)} per unit, above the buyer's maximum of ¥${demand.maxPricePerUnit.toFixed(2)}`,
    });
  }
  if (demand.remainingUnits < offer.minOrderUnits) {
    if (!why) return INELIGIBLE;
    reasons.push({
      code: 'min_order',
      params: { units: demand.remainingUnits, minOrderUnits: offer.minOrderUnits },
      message: `needs ${fmt(demand.remainingUnits)} units, below the supplier's minimum order of ${fmt(offer.minOrderUnits)}`,
    });
  }

  const km = distanceKm(offer.location, demand.deliveryLocation);
  const transit = transitDays(km);

  // a required certification counts only when verified and valid on the due date (server/trust)
  const due = demand.deadline - transit * DAY_MS;
  if (why) reasons.push(...certificationReasons(offer, [...new Set([...category.certifications, ...demand.requiredCertifications])], due));
  else if (!allValid(offer, category.certifications, due) || !allValid(offer, demand.requiredCertifications, due)) return INELIGIBLE;
  const conversionDays = route?.conversionDays ?? 0;
  const earliestStart = Math.max(offer.availableFrom, now + conversionDays * DAY_MS);
  const latestEnd = Math.min(offer.availableTo, demand.deadline - transit * DAY_MS);
  // an hour of slack so a window of whole days is not cut short by the milliseconds since it was posted
  const productionDays = Math.floor((latestEnd - earliestStart) / DAY_MS + 1 / 24);
  if (productionDays <= 0) {
    if (!why) return INELIGIBLE;
    const firstDelivery = earliestStart + DAY_MS + transit * DAY_MS;
    const iso = (t: number) => new Date(t).toISOString();
    reasons.push({
      code: 'time',
      params: {
        kind: firstDelivery > demand.deadline ? 'after_deadline' : 'window_ends',
        firstDelivery: iso(firstDelivery),
        deadline: iso(demand.deadline),
        availableTo: iso(offer.availableTo),
        transitDays: transit,
        distanceKm: Math.round(km),
      },
      message:
        firstDelivery > demand.deadline
          ? `can deliver only after the deadline (first units ${new Date(firstDelivery).toISOString().slice(0, 10)}, ${transit} days in transit)`
          : `available only until ${new Date(offer.availableTo).toISOString().slice(0, 10)}, before production could start`,
    });
  }

  if (reasons.length || !route) return { eligible: false, near, reasons };
  return {
    eligible: true,
    route,
    distanceKm: km,
    transitDays: transit,
    earliestStart,
    productionDays,
    deliverableUnits: route.unitsPerDay * productionDays,
  };
}

/** A certification's catalog name, e.g. "GB 19083" from "GB 19083 Medical protective mask". */
function certName(id: string): string {
  const name = findCertification(id)?.name.en ?? id;
  return /^[A-Z]+(?:\/[A-Z]+)? ?[\d.]+/.exec(name)?.[0] ?? name;
}

/** Whether every one of some required certifications counts for an offer on the due date. */
function allValid(offer: OfferView, required: readonly string[], due: number): boolean {
  for (let i = 0; i < required.length; i++) if (certState(offer, required[i], due) !== 'valid') return false;
  return true;
}

/** Whether one required certification counts for an offer on the due date, and if not, why. */
function certState(offer: OfferView, c: string, due: number): 'valid' | 'missing' | 'claimed' | 'submitted' | 'rejected' | 'expired' | 'not_yet' {
  const status = offer.certificationStatus;
  if (!status) return offer.certifications.includes(c) ? 'valid' : 'missing';
  const st = status[c];
  if (!st) return 'missing';
  if (st.state !== 'verified') return st.state;
  if (st.validUntil !== null && st.validUntil < due) return 'expired';
  if (st.validFrom !== null && st.validFrom > due) return 'not_yet';
  return 'valid';
}

/**
 * Why required certifications do not count for an offer on the due date: missing altogether, claimed or
 * submitted or rejected but not verified, or verified but not valid then. Views without `certificationStatus`
 * (built by hand) count the ticked ones.
 */
function certificationReasons(offer: OfferView, required: string[], due: number): Reason[] {
  const status = offer.certificationStatus;
  const missing = required.filter((c) => certState(offer, c, due) === 'missing');
  const out: Reason[] = [];
  if (missing.length) out.push({ code: 'certification', params: { certifications: missing }, message: `missing ${missing.join(', ')}` });
  if (!status) return out;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const unverified: Record<'claimed' | 'submitted' | 'rejected', string[]> = { claimed: [], submitted: [], rejected: [] };
  const words = { claimed: 'claimed, not yet verified', submitted: 'submitted, awaiting verification', rejected: 'rejected by a coordinator' };
  const expired: string[] = [];
  const expiredWords: string[] = [];
  let validUntil: number | null = null;
  for (const c of required) {
    const state = certState(offer, c, due);
    const st = status[c];
    if (state === 'claimed' || state === 'submitted' || state === 'rejected') unverified[state].push(c);
    else if (state === 'expired') {
      expired.push(c);
      expiredWords.push(`${certName(c)} expires ${day(st.validUntil!)}, before the units are due ${day(due)}`);
      validUntil = validUntil === null ? st.validUntil : Math.min(validUntil, st.validUntil!);
    } else if (state === 'not_yet') {
      expired.push(c);
      expiredWords.push(`${certName(c)} is valid only from ${day(st.validFrom!)}, after the units are due ${day(due)}`);
    }
  }
  const pending = [...unverified.claimed, ...unverified.submitted, ...unverified.rejected];
  if (pending.length) {
    const message = (['claimed', 'submitted', 'rejected'] as const)
      .filter((k) => unverified[k].length)
      .map((k) => `${unverified[k].map(certName).join(', ')} ${words[k]}`)
      .join('; ');
    out.push({ code: 'certification_unverified', params: { certifications: pending, ...unverified }, message });
  }
  if (expired.length) {
    out.push({ code: 'certification_expired', params: { certifications: expired, validUntil: validUntil === null ? null : new Date(validUntil).toISOString(), dueAt: new Date(due).toISOString() }, message: expiredWords.join('; ') });
  }
  return out;
}

/**
 * Laplace-smoothed share of a supplier's settled outcomes that went well: 0.5 with no history.
 * (deliveredOnTime + 0.5 × late + 1) / (delivered + cancelled + lapsed + 2): a delivery on time counts for, a late
 * one half, a cancellation by the supplier and a proposal it let lapse against.
 */
export function reliabilityOf(stats: { confirmed: number; delivered: number; cancelled: number; lapsed?: number; late?: number }): number {
  const late = Math.min(stats.late ?? 0, stats.delivered);
  const settled = stats.delivered + stats.cancelled + (stats.lapsed ?? 0);
  return (stats.delivered - late + 0.5 * late + 1) / (settled + 2);
}

/** The score alone (the planner ranks candidates by it; `explain` adds the words for the proposals it makes). */
export function scoreOf(offer: OfferView, demand: DemandView, e: Extract<Eligibility, { eligible: true }>, units: number, now: number): number {
  return scoreParts(offer, demand, e, units, now).score;
}

function scoreParts(offer: OfferView, demand: DemandView, e: Extract<Eligibility, { eligible: true }>, units: number, now: number) {
  const category = findCategory(demand.category)!;
  const coverageShare = demand.remainingUnits > 0 ? Math.min(1, units / demand.remainingUnits) : 0;
  const firstDelivery = e.earliestStart + DAY_MS + e.transitDays * DAY_MS;
  const horizon = Math.max(DAY_MS, demand.deadline - now);
  let price = 0.5;
  if (offer.pricePerUnit !== null) {
    const ceiling = demand.maxPricePerUnit ?? category.referencePricePerUnit * 1.5;
    price = Math.max(0, Math.min(1, 1 - (offer.pricePerUnit / ceiling) * 0.5));
  }
  const parts: ScoreParts = {
    capability: e.route.mode === 'direct' ? 1 : 0.6,
    coverage: coverageShare,
    distance: 1 / (1 + e.distanceKm / 500),
    leadTime: Math.max(0, Math.min(1, (demand.deadline - firstDelivery) / horizon)),
    price,
    reliability: offer.reliability,
  };
  let score = 0;
  for (const k of Object.keys(SCORE_WEIGHTS) as (keyof ScoreParts)[]) score += SCORE_WEIGHTS[k] * parts[k];
  score = Math.round(Math.max(0, Math.min(1, score)) * 1e4) / 1e4;
  return { category, coverageShare, firstDelivery, parts, score };
}

/** Score in [0,1] with its parts and a plain-English explanation, for `units` of `offer` going to `demand`. */
export function explain(
  offer: OfferView,
  demand: DemandView,
  e: Extract<Eligibility, { eligible: true }>,
  units: number,
  now: number,
): { score: number; explanation: Explanation } {
  const { category, coverageShare, firstDelivery, parts, score } = scoreParts(offer, demand, e, units, now);
  const rules = category.conversion;
  const summary = [
    e.route.mode === 'direct'
      ? `Makes ${category.name.en} already (${fmt(e.route.unitsPerDay)} a day)`
      : `Converts to ${category.name.en} in ${e.route.conversionDays} days with ${rules?.requires.join(', ')} (about ${fmt(e.route.unitsPerDay)} a day)`,
    `Covers ${Math.round(coverageShare * 100)}% of what is still needed (${fmt(units)} of ${fmt(demand.remainingUnits)} units)`,
    `${fmt(e.distanceKm)} km away, ${e.transitDays === 0 ? 'same-day delivery' : `about ${e.transitDays} days in transit`}`,
    `First units arrive ${new Date(firstDelivery).toISOString().slice(0, 10)}, deadline ${new Date(demand.deadline).toISOString().slice(0, 10)}`,
    offer.pricePerUnit === null
      ? 'No price given'
      : `¥${offer.pricePerUnit.toFixed(2)} per unit${demand.maxPricePerUnit !== null ? `, within the ¥${demand.maxPricePerUnit.toFixed(2)} maximum` : ''}`,
    `Reliability ${Math.round(offer.reliability * 100)}% (${offer.reliabilityBasis.delivered} delivered${offer.reliabilityBasis.late ? `, ${offer.reliabilityBasis.late} of them late` : ''}, ${offer.reliabilityBasis.cancelled} cancelled${offer.reliabilityBasis.lapsed ? `, ${offer.reliabilityBasis.lapsed} left to lapse` : ''})`,
  ];
  return {
    score,
    explanation: {
      mode: e.route.mode,
      conversionDays: e.route.conversionDays,
      distanceKm: Math.round(e.distanceKm * 10) / 10,
      transitDays: e.transitDays,
      earliestStart: new Date(e.earliestStart).toISOString(),
      deliverableUnits: e.deliverableUnits,
      coverageShare: Math.round(coverageShare * 1e4) / 1e4,
      pricePerUnit: offer.pricePerUnit,
      maxPricePerUnit: demand.maxPricePerUnit,
      reliability: Math.round(offer.reliability * 1e4) / 1e4,
      weights: SCORE_WEIGHTS,
      parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, Math.round(v * 1e4) / 1e4])) as ScoreParts,
      summary,
    },
  };
}

/** Cost per unit used by the global allocation: price (or the category's reference) plus freight by distance. */
export function unitCost(offer: OfferView, demand: DemandView, km: number): number {
  const ref = findCategory(demand.category)?.referencePricePerUnit ?? 1;
  const price = offer.pricePerUnit ?? ref;
  // freight: about ¥0.0005 per unit-km for light goods, scaled with the goods' value
  return price + km * 0.0005 * Math.max(1, ref);
}

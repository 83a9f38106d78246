import type { Demand, DemandInput, DemandPatch } from '../../models/demand.schema';
import type { Offer, OfferInput, OfferPatch, PostingListQuery } from '../../models/offer.schema';
import { provinceAt, regionId } from '../../models/provinces';
import { canSeePosting } from '../access/policy';
import type { AuthContext } from '../auth/auth.service';
import { AppError } from '../errors';
import type { IdemKey, Ledger, Tx } from '../ledger/ledger';
import type { OrgInfo } from '../ledger/state';
import { DAY_MS } from '../matching/eligibility';
import { emitDemand, emitOffer, matchDemand, matchOffer, withdrawPending } from '../matching/matching.service';
import { lineOf, lineSchedules, overbookedLines } from '../matching/planner';
import { reservingStatuses } from '../../models/match.schema';
import { assertOfferLimit } from '../trust/records';

/** Whole days in an availability window (a partial day counts, but not the few minutes a clock drifts). */
export function windowDays(from: Date, to: Date): number {
  return Math.max(0, Math.ceil((to.getTime() - from.getTime()) / DAY_MS - 1 / 24));
}

/** An offer's capacity: every product line runs in parallel for the whole window. */
export function totalUnitsOf(products: { unitsPerDay: number }[], from: Date, to: Date): number {
  return products.reduce((s, p) => s + p.unitsPerDay, 0) * windowDays(from, to);
}

function ownerOnly(auth: AuthContext, organizationId: string, what: string) {
  if (!canSeePosting(auth, { organizationId })) throw AppError.notFound(what);
}

const invalid = (path: string, message: string) => new AppError('validation_failed', 'Invalid input', 400, [{ path, message }]);

/** A new offer from its input, as a command step (no I/O). */
export function newOffer(tx: Tx, org: OrgInfo, input: OfferInput): Offer {
  const from = new Date(input.availableFrom);
  const to = new Date(input.availableTo);
  const at = new Date(tx.now).toISOString();
  // days already past are no capacity
  const totalUnits = totalUnitsOf(input.products, new Date(Math.max(from.getTime(), tx.now)), to);
  return {
    id: tx.newId(),
    organizationId: org.id,
    organizationName: org.name,
    region: org.region,
    products: input.products.map((p) => ({ category: p.category, unitsPerDay: p.unitsPerDay })),
    capabilities: [...new Set(input.capabilities)],
    certifications: [...new Set(input.certifications ?? [])],
    availableFrom: from.toISOString(),
    availableTo: to.toISOString(),
    location: input.location ?? org.location,
    minOrderUnits: input.minOrderUnits ?? 1,
    pricePerUnit: input.pricePerUnit ?? null,
    conversionLeadDays: input.conversionLeadDays ?? 0,
    totalUnits,
    reservedUnits: 0,
    deliveredUnits: 0,
    remainingUnits: totalUnits,
    proposedUnits: 0,
    status: 'open',
    version: 0,
    createdAt: at,
    updatedAt: at,
  };
}

export function newDemand(tx: Tx, org: OrgInfo, input: DemandInput): Demand {
  const at = new Date(tx.now).toISOString();
  return {
    id: tx.newId(),
    organizationId: org.id,
    organizationName: org.name,
    region: org.region,
    category: input.category,
    quantity: input.quantity,
    deadline: new Date(input.deadline).toISOString(),
    deliveryLocation: input.deliveryLocation,
    requiredCertifications: [...new Set(input.requiredCertifications ?? [])],
    maxPricePerUnit: input.maxPricePerUnit ?? null,
    priority: input.priority,
    confirmedUnits: 0,
    deliveredUnits: 0,
    proposedUnits: 0,
    remainingUnits: input.quantity,
    status: 'open',
    version: 0,
    createdAt: at,
    updatedAt: at,
  };
}

/** Posts an offer and proposes matches for it, in one command. */
export function postOffer(tx: Tx, org: OrgInfo, input: OfferInput): Offer {
  // an organization without a verified certification or a delivered match keeps only a few open offers (server/trust)
  assertOfferLimit(tx.state, org.id, tx.now);
  const o = newOffer(tx, org, input);
  emitOffer(tx, o);
  matchOffer(tx, o.id);
  return tx.state.offerDto(tx.state.offers.get(o.id)!);
}

export function postDemand(tx: Tx, org: OrgInfo, input: DemandInput): Demand {
  const d = newDemand(tx, org, input);
  emitDemand(tx, d);
  matchDemand(tx, d.id);
  return tx.state.demandDto(tx.state.demands.get(d.id)!);
}

/**
 * Capacity offers and demands: each change is one ledger command that also makes or withdraws the
 * proposals it causes; reads come from the ledger's in-memory state.
 */
export class PostingsService {
  constructor(readonly ledger: Ledger) {}

  private get state() {
    return this.ledger.state;
  }

  /** The caller's organization. */
  private async organizationOf(auth: AuthContext): Promise<OrgInfo> {
    if (!auth.organizationId) throw AppError.forbidden('Your account has no organization');
    try {
      return await this.ledger.ensureOrg(auth.organizationId);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw AppError.forbidden('Your organization no longer exists');
      throw err;
    }
  }

  /** Posts a supplier's capacity and proposes matches for it in the same command. */
  async createOffer(auth: AuthContext, input: OfferInput, idem?: IdemKey): Promise<Offer> {
    const org = await this.organizationOf(auth);
    return this.ledger.submit((tx) => {
      const prior = tx.replay(idem);
      if (prior?.id && this.state.offers.has(prior.id)) return this.state.offerDto(this.state.offers.get(prior.id)!);
      const o = postOffer(tx, org, input);
      tx.remember(idem, { status: 201, kind: 'offer', id: o.id });
      return o;
    });
  }

  async createDemand(auth: AuthContext, input: DemandInput, idem?: IdemKey): Promise<Demand> {
    const org = await this.organizationOf(auth);
    return this.ledger.submit((tx) => {
      const prior = tx.replay(idem);
      if (prior?.id && this.state.demands.has(prior.id)) return this.state.demandDto(this.state.demands.get(prior.id)!);
      const d = postDemand(tx, org, input);
      tx.remember(idem, { status: 201, kind: 'demand', id: d.id });
      return d;
    });
  }

  private list<T extends Offer | Demand>(
    all: Map<string, T>,
    idsOf: (org: string) => string[],
    auth: AuthContext,
    q: PostingListQuery,
    hasCategory: (x: T, c: string) => boolean,
    regionOf: (x: T) => string,
    toDto: (x: T) => T,
  ): { items: T[]; total: number; limit: number; offset: number } {
    let pool: Iterable<T>;
    if (auth.role === 'coordinator' || auth.role === 'admin') pool = all.values();
    else if (!auth.organizationId) return { items: [], total: 0, limit: q.limit, offset: q.offset };
    else pool = idsOf(auth.organizationId).map((id) => all.get(id)!);
    const hits: T[] = [];
    // a province spelt another way ('tibet', '西藏') filters as its id, the name postings are filed under
    const region = q.region ? regionId(q.region) : undefined;
    for (const x of pool) {
      if (q.category && !hasCategory(x, q.category)) continue;
      if (region && regionOf(x) !== region) continue;
      if (q.status && x.status !== q.status) continue;
      hits.push(x);
    }
    hits.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    return { items: hits.slice(q.offset, q.offset + q.limit).map(toDto), total: hits.length, limit: q.limit, offset: q.offset };
  }

  listOffers(auth: AuthContext, q: PostingListQuery) {
    // an offer's province is its supplier's, as coverage files its supply and the live events announce it
    return this.list(this.state.offers, (o) => this.state.offerIdsOf(o), auth, q, (x, c) => x.products.some((p) => p.category === c), (x) => x.region, (x) => this.state.offerDto(x));
  }

  listDemands(auth: AuthContext, q: PostingListQuery) {
    // a demand's province is that of its delivery place (deliveryRegion), as coverage files it and the live events announce it
    return this.list(this.state.demands, (o) => this.state.demandIdsOf(o), auth, q, (x, c) => x.category === c, (x) => provinceAt(x.deliveryLocation).id, (x) => this.state.demandDto(x));
  }

  /** Reads an offer for its owner or a coordinator. @throws AppError not_found otherwise */
  getOffer(auth: AuthContext, id: string): Offer {
    const o = this.state.offers.get(id);
    if (!o) throw AppError.notFound('Offer');
    ownerOnly(auth, o.organizationId, 'Offer');
    return this.state.offerDto(o);
  }

  getDemand(auth: AuthContext, id: string): Demand {
    const d = this.state.demands.get(id);
    if (!d) throw AppError.notFound('Demand');
    ownerOnly(auth, d.organizationId, 'Demand');
    return this.state.demandDto(d);
  }

  private ownOffer(tx: Tx, auth: AuthContext, id: string): Offer {
    const o = tx.state.offers.get(id);
    if (!o || auth.organizationId !== o.organizationId) throw AppError.notFound('Offer');
    return o;
  }

  private ownDemand(tx: Tx, auth: AuthContext, id: string): Demand {
    const d = tx.state.demands.get(id);
    if (!d || auth.organizationId !== d.organizationId) throw AppError.notFound('Demand');
    return d;
  }

  /**
   * Changes an open offer. Its pending proposals are withdrawn, accepted ones too (an acceptance holds only
   * for the terms the other side saw), and it is matched again; its capacity cannot drop below what
   * confirmed matches hold.
   * @throws AppError conflict when withdrawn or when the change would undercut reservations
   */
  updateOffer(auth: AuthContext, id: string, patch: OfferPatch): Promise<Offer> {
    return this.ledger.submit((tx) => {
      const o = this.ownOffer(tx, auth, id);
      if (o.status === 'withdrawn' || o.status === 'expired') throw AppError.conflict(`The offer is ${o.status}`);
      const next: Offer = { ...o, version: o.version + 1, updatedAt: new Date(tx.now).toISOString() };
      if (patch.products) next.products = patch.products.map((p) => ({ category: p.category, unitsPerDay: p.unitsPerDay }));
      if (patch.capabilities) next.capabilities = [...new Set(patch.capabilities)];
      if (patch.certifications) next.certifications = [...new Set(patch.certifications)];
      if (patch.availableFrom) next.availableFrom = new Date(patch.availableFrom).toISOString();
      if (patch.availableTo) next.availableTo = new Date(patch.availableTo).toISOString();
      if (patch.location) next.location = patch.location;
      if (patch.minOrderUnits !== undefined) next.minOrderUnits = patch.minOrderUnits;
      if (patch.pricePerUnit !== undefined) next.pricePerUnit = patch.pricePerUnit;
      if (patch.conversionLeadDays !== undefined) next.conversionLeadDays = patch.conversionLeadDays;
      if (Date.parse(next.availableTo) <= Date.parse(next.availableFrom)) throw invalid('availableTo', 'availableTo must be after availableFrom');
      next.totalUnits = totalUnitsOf(next.products, new Date(Math.max(Date.parse(next.availableFrom), tx.now)), new Date(next.availableTo));
      if (next.totalUnits < o.reservedUnits) {
        throw AppError.conflict(`Confirmed matches hold ${o.reservedUnits} units; the offer cannot shrink below that`);
      }
      // a confirmed match is made on its line: that line must stay, making the same product (the capacity check
      // below counts units per line and would not see a line that now makes something else, or is gone)
      if (patch.products) {
        const held = new Set<number>();
        for (const mid of tx.state.activeForOffer(id)) {
          const m = tx.state.matches.get(mid);
          if (m && reservingStatuses.includes(m.status)) held.add(lineOf(tx.state, m).line);
        }
        const lost = [...held].filter((l) => next.products[l]?.category !== o.products[l]?.category).sort((a, b) => a - b);
        if (lost.length) {
          throw AppError.conflict(
            `Confirmed matches are made on line ${lost.map((l) => `${l + 1} (${o.products[l]?.category})`).join(', ')}; the offer cannot remove that line or change what it makes`,
            { lines: lost.map((l) => ({ line: l, category: o.products[l]?.category ?? null })) },
          );
        }
      }
      next.status = next.totalUnits > o.reservedUnits ? 'open' : 'fulfilled';
      const affected = withdrawPending(tx, { offerId: id }, 'the offer changed; please review the new terms');
      emitOffer(tx, next);
      // every line must still make what its confirmed matches are due (the change is undone otherwise)
      const short = overbookedLines(tx.state, { id, availableFrom: Date.parse(next.availableFrom), availableTo: Date.parse(next.availableTo), products: next.products }, tx.now, 'reserved');
      if (short.length) {
        throw AppError.conflict(`Confirmed matches on line ${short.map((i) => i + 1).join(', ')} could no longer be made by their due dates; the offer cannot change that way`);
      }
      matchOffer(tx, id);
      for (const d of affected) matchDemand(tx, d);
      return tx.state.offerDto(tx.state.offers.get(id)!);
    });
  }

  updateDemand(auth: AuthContext, id: string, patch: DemandPatch): Promise<Demand> {
    return this.ledger.submit((tx) => {
      const d = this.ownDemand(tx, auth, id);
      if (d.status === 'withdrawn' || d.status === 'expired') throw AppError.conflict(`The demand is ${d.status}`);
      const next: Demand = { ...d, version: d.version + 1, updatedAt: new Date(tx.now).toISOString() };
      if (patch.quantity !== undefined) next.quantity = patch.quantity;
      if (patch.deadline) next.deadline = new Date(patch.deadline).toISOString();
      if (patch.deliveryLocation) next.deliveryLocation = patch.deliveryLocation;
      if (patch.requiredCertifications) next.requiredCertifications = [...new Set(patch.requiredCertifications)];
      if (patch.maxPricePerUnit !== undefined) next.maxPricePerUnit = patch.maxPricePerUnit;
      if (patch.priority) next.priority = patch.priority;
      if (next.quantity < d.confirmedUnits) {
        throw AppError.conflict(`Confirmed matches already cover ${d.confirmedUnits} units; the quantity cannot drop below that`);
      }
      next.status = next.quantity > d.confirmedUnits ? 'open' : 'fulfilled';
      const affected = withdrawPending(tx, { demandId: id }, 'the demand changed; please review the new terms');
      emitDemand(tx, next);
      matchDemand(tx, id);
      for (const o of affected) matchOffer(tx, o);
      return tx.state.demandDto(tx.state.demands.get(id)!);
    });
  }

  /** Withdraws an offer: its pending proposals go, confirmed matches stay as they are. */
  withdrawOffer(auth: AuthContext, id: string): Promise<Offer> {
    return this.ledger.submit((tx) => {
      const o = this.ownOffer(tx, auth, id);
      if (o.status === 'withdrawn') return tx.state.offerDto(o);
      const affected = withdrawPending(tx, { offerId: id }, 'the offer was withdrawn');
      emitOffer(tx, { ...o, status: 'withdrawn', version: o.version + 1, updatedAt: new Date(tx.now).toISOString() });
      for (const d of affected) matchDemand(tx, d);
      return tx.state.offerDto(tx.state.offers.get(id)!);
    });
  }

  withdrawDemand(auth: AuthContext, id: string): Promise<Demand> {
    return this.ledger.submit((tx) => {
      const d = this.ownDemand(tx, auth, id);
      if (d.status === 'withdrawn') return tx.state.demandDto(d);
      const affected = withdrawPending(tx, { demandId: id }, 'the demand was withdrawn');
      emitDemand(tx, { ...d, status: 'withdrawn', version: d.version + 1, updatedAt: new Date(tx.now).toISOString() });
      for (const o of affected) matchOffer(tx, o);
      return tx.state.demandDto(tx.state.demands.get(id)!);
    });
  }

  /** Each line's days of an offer: committed, proposed and free output (owner or coordinator). */
  lineSchedules(auth: AuthContext, id: string) {
    const o = this.state.offers.get(id);
    if (!o) throw AppError.notFound('Offer');
    ownerOnly(auth, o.organizationId, 'Offer');
    return { offerId: id, lines: lineSchedules(this.state, id, this.ledger.now()) };
  }

  /** Checks who may see a posting's matches: its owner or a coordinator. @throws AppError not_found */
  assertCanSeePosting(auth: AuthContext, kind: 'offer' | 'demand', id: string) {
    const p = kind === 'offer' ? this.state.offers.get(id) : this.state.demands.get(id);
    if (!p) throw AppError.notFound(kind === 'offer' ? 'Offer' : 'Demand');
    ownerOnly(auth, p.organizationId, kind === 'offer' ? 'Offer' : 'Demand');
  }
}

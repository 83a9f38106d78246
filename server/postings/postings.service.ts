import mongoose from 'mongoose';
import type { Demand, DemandInput, DemandPatch } from '../../models/demand.schema';
import { DemandModel, type DemandDoc } from '../../models/demand.model';
import type { Offer, OfferInput, OfferPatch, PostingListQuery } from '../../models/offer.schema';
import { OfferModel, type OfferDoc } from '../../models/offer.model';
import { OrganizationModel, type OrganizationDoc } from '../../models/organization.model';
import type { AuthContext } from '../auth/auth.service';
import { mutateVersioned, loadVersioned } from '../db/versioned';
import { AppError } from '../errors';
import { demandEvent, offerEvent, type Publisher } from '../events/publisher';
import { DAY_MS } from '../matching/eligibility';
import type { MatchingService } from '../matching/matching.service';
import { toDemandDto, toOfferDto } from './dto';

/** Whole days in an availability window (a partial day counts). */
export function windowDays(from: Date, to: Date): number {
  return Math.max(0, Math.ceil((to.getTime() - from.getTime()) / DAY_MS - 1e-9));
}

/** An offer's capacity: every product line runs in parallel for the whole window. */
export function totalUnitsOf(products: { unitsPerDay: number }[], from: Date, to: Date): number {
  return products.reduce((s, p) => s + p.unitsPerDay, 0) * windowDays(from, to);
}

function ownerOnly(auth: AuthContext, orgId: string, what: string) {
  if (auth.role === 'coordinator' || auth.role === 'admin') return;
  if (auth.organizationId !== orgId) throw AppError.notFound(what);
}

/** Capacity offers and demands: create, list, read, change, withdraw; every change re-matches. */
export class PostingsService {
  constructor(
    private readonly matching: MatchingService,
    private readonly publisher: Publisher,
  ) {}

  private readonly orgCache = new Map<string, OrganizationDoc>();

  /** The caller's organization; organizations are not changed through the API, so they are cached. */
  private async organizationOf(auth: AuthContext): Promise<OrganizationDoc> {
    if (!auth.organizationId) throw AppError.forbidden('Your account has no organization');
    const cached = this.orgCache.get(auth.organizationId);
    if (cached) return cached;
    const org = (await OrganizationModel.findById(auth.organizationId).lean()) as OrganizationDoc | null;
    if (!org) throw AppError.forbidden('Your organization no longer exists');
    if (this.orgCache.size > 50_000) this.orgCache.clear();
    this.orgCache.set(auth.organizationId, org);
    return org;
  }

  offerDto(o: OfferDoc): Offer {
    return toOfferDto(o, this.matching.view.proposedForOffer(String(o._id)));
  }

  demandDto(d: DemandDoc): Demand {
    return toDemandDto(d, this.matching.view.proposedForDemand(String(d._id)));
  }

  /** Posts a supplier's capacity and proposes matches for it at once. */
  async createOffer(auth: AuthContext, input: OfferInput): Promise<Offer> {
    const org = await this.organizationOf(auth);
    const availableFrom = new Date(input.availableFrom);
    const availableTo = new Date(input.availableTo);
    const doc = await OfferModel.create({
      organization: org._id,
      organizationName: org.name,
      region: org.region,
      products: input.products,
      capabilities: [...new Set(input.capabilities)],
      certifications: [...new Set(input.certifications ?? [])],
      availableFrom,
      availableTo,
      location: input.location ?? org.location,
      minOrderUnits: input.minOrderUnits ?? 1,
      pricePerUnit: input.pricePerUnit ?? null,
      conversionLeadDays: input.conversionLeadDays ?? 0,
      totalUnits: totalUnitsOf(input.products, availableFrom, availableTo),
      reservedUnits: 0,
      deliveredUnits: 0,
      status: 'open',
      version: 0,
    });
    const offer = doc.toObject() as OfferDoc;
    await this.matching.warmOrg(String(org._id));
    this.matching.applyOffer(offer);
    let dto!: Offer;
    await this.matching.matchOffer(String(offer._id), () => [offerEvent((dto = this.offerDto(offer)))]);
    return dto;
  }

  async createDemand(auth: AuthContext, input: DemandInput): Promise<Demand> {
    const org = await this.organizationOf(auth);
    const doc = await DemandModel.create({
      organization: org._id,
      organizationName: org.name,
      region: org.region,
      category: input.category,
      quantity: input.quantity,
      deadline: new Date(input.deadline),
      deliveryLocation: input.deliveryLocation,
      requiredCertifications: [...new Set(input.requiredCertifications ?? [])],
      maxPricePerUnit: input.maxPricePerUnit ?? null,
      priority: input.priority,
      confirmedUnits: 0,
      deliveredUnits: 0,
      status: 'open',
      version: 0,
    });
    const demand = doc.toObject() as DemandDoc;
    this.matching.applyDemand(demand);
    let dto!: Demand;
    await this.matching.matchDemand(String(demand._id), () => [demandEvent((dto = this.demandDto(demand)))]);
    return dto;
  }

  private async list<T>(
    model: mongoose.Model<any>,
    auth: AuthContext,
    q: PostingListQuery,
    categoryField: string,
    toDto: (d: any) => T,
  ): Promise<{ items: T[]; total: number; limit: number; offset: number }> {
    const filter: Record<string, unknown> = {};
    if (auth.role !== 'coordinator' && auth.role !== 'admin') {
      if (!auth.organizationId) return { items: [], total: 0, limit: q.limit, offset: q.offset };
      filter.organization = new mongoose.Types.ObjectId(auth.organizationId);
    }
    if (q.category) filter[categoryField] = q.category;
    if (q.region) filter.region = q.region;
    if (q.status) filter.status = q.status;
    const [docs, total] = await Promise.all([
      model.find(filter).sort({ createdAt: -1, _id: -1 }).skip(q.offset).limit(q.limit).lean(),
      model.countDocuments(filter),
    ]);
    return { items: docs.map(toDto), total, limit: q.limit, offset: q.offset };
  }

  listOffers(auth: AuthContext, q: PostingListQuery) {
    return this.list(OfferModel, auth, q, 'products.category', (d: OfferDoc) => this.offerDto(d));
  }

  listDemands(auth: AuthContext, q: PostingListQuery) {
    return this.list(DemandModel, auth, q, 'category', (d: DemandDoc) => this.demandDto(d));
  }

  /** Reads an offer for its owner or a coordinator. @throws AppError not_found otherwise */
  async getOffer(auth: AuthContext, id: string): Promise<Offer> {
    const o = await loadVersioned<OfferDoc>(OfferModel, id);
    if (!o) throw AppError.notFound('Offer');
    ownerOnly(auth, String(o.organization), 'Offer');
    return this.offerDto(o);
  }

  async getDemand(auth: AuthContext, id: string): Promise<Demand> {
    const d = await loadVersioned<DemandDoc>(DemandModel, id);
    if (!d) throw AppError.notFound('Demand');
    ownerOnly(auth, String(d.organization), 'Demand');
    return this.demandDto(d);
  }

  private async checkOwner(model: mongoose.Model<any>, auth: AuthContext, id: string, what: string) {
    const doc = (await model.findById(id, { organization: 1 }).lean()) as { organization: unknown } | null;
    if (!doc || auth.organizationId !== String(doc.organization)) throw AppError.notFound(what);
  }

  /**
   * Changes an open offer. Its unaccepted proposals are withdrawn and it is matched again; its capacity
   * cannot drop below what confirmed matches hold.
   * @throws AppError conflict when withdrawn or when the change would undercut reservations
   */
  async updateOffer(auth: AuthContext, id: string, patch: OfferPatch): Promise<Offer> {
    await this.checkOwner(OfferModel, auth, id, 'Offer');
    const { after } = await mutateVersioned<OfferDoc>(
      OfferModel,
      id,
      (o) => {
        if (o.status === 'withdrawn' || o.status === 'expired') throw AppError.conflict(`The offer is ${o.status}`);
        const next = { ...o } as OfferDoc;
        if (patch.products) next.products = patch.products as OfferDoc['products'];
        if (patch.capabilities) next.capabilities = [...new Set(patch.capabilities)];
        if (patch.certifications) next.certifications = [...new Set(patch.certifications)];
        if (patch.availableFrom) next.availableFrom = new Date(patch.availableFrom);
        if (patch.availableTo) next.availableTo = new Date(patch.availableTo);
        if (patch.location) next.location = patch.location;
        if (patch.minOrderUnits !== undefined) next.minOrderUnits = patch.minOrderUnits;
        if (patch.pricePerUnit !== undefined) next.pricePerUnit = patch.pricePerUnit;
        if (patch.conversionLeadDays !== undefined) next.conversionLeadDays = patch.conversionLeadDays;
        if (next.availableTo.getTime() <= next.availableFrom.getTime()) {
          throw new AppError('validation_failed', 'Invalid input', 400, [{ path: 'availableTo', message: 'availableTo must be after availableFrom' }]);
        }
        next.totalUnits = totalUnitsOf(next.products, next.availableFrom, next.availableTo);
        if (next.totalUnits < (o.reservedUnits ?? 0)) {
          throw AppError.conflict(`Confirmed matches hold ${o.reservedUnits} units; the offer cannot shrink below that`);
        }
        next.status = next.totalUnits > (o.reservedUnits ?? 0) ? 'open' : 'fulfilled';
        return next;
      },
      { meta: { op: 'update', by: auth.userId } },
    );
    this.matching.applyOffer(after);
    const affected = await this.matching.withdrawPending({ offerId: id }, 'the offer changed', { onlyUnaccepted: true });
    await this.matching.matchOffer(id);
    for (const d of affected) await this.matching.matchDemand(d);
    const dto = this.offerDto(after);
    await this.publisher.offer(dto);
    return dto;
  }

  async updateDemand(auth: AuthContext, id: string, patch: DemandPatch): Promise<Demand> {
    await this.checkOwner(DemandModel, auth, id, 'Demand');
    const { after } = await mutateVersioned<DemandDoc>(
      DemandModel,
      id,
      (d) => {
        if (d.status === 'withdrawn' || d.status === 'expired') throw AppError.conflict(`The demand is ${d.status}`);
        const next = { ...d } as DemandDoc;
        if (patch.quantity !== undefined) next.quantity = patch.quantity;
        if (patch.deadline) next.deadline = new Date(patch.deadline);
        if (patch.deliveryLocation) next.deliveryLocation = patch.deliveryLocation;
        if (patch.requiredCertifications) next.requiredCertifications = [...new Set(patch.requiredCertifications)];
        if (patch.maxPricePerUnit !== undefined) next.maxPricePerUnit = patch.maxPricePerUnit;
        if (patch.priority) next.priority = patch.priority;
        if (next.quantity < (d.confirmedUnits ?? 0)) {
          throw AppError.conflict(`Confirmed matches already cover ${d.confirmedUnits} units; the quantity cannot drop below that`);
        }
        next.status = next.quantity > (d.confirmedUnits ?? 0) ? 'open' : 'fulfilled';
        return next;
      },
      { meta: { op: 'update', by: auth.userId } },
    );
    this.matching.applyDemand(after);
    const affected = await this.matching.withdrawPending({ demandId: id }, 'the demand changed', { onlyUnaccepted: true });
    await this.matching.matchDemand(id);
    for (const o of affected) await this.matching.matchOffer(o);
    const dto = this.demandDto(after);
    await this.publisher.demand(dto);
    return dto;
  }

  /** Withdraws an offer: its pending proposals go, confirmed matches stay as they are. */
  async withdrawOffer(auth: AuthContext, id: string): Promise<Offer> {
    await this.checkOwner(OfferModel, auth, id, 'Offer');
    const { after } = await mutateVersioned<OfferDoc>(OfferModel, id, (o) => ({ ...o, status: 'withdrawn' }), {
      meta: { op: 'withdraw', by: auth.userId },
    });
    this.matching.applyOffer(after);
    const affected = await this.matching.withdrawPending({ offerId: id }, 'the offer was withdrawn');
    for (const d of affected) await this.matching.matchDemand(d);
    const dto = this.offerDto(after);
    await this.publisher.offer(dto);
    return dto;
  }

  async withdrawDemand(auth: AuthContext, id: string): Promise<Demand> {
    await this.checkOwner(DemandModel, auth, id, 'Demand');
    const { after } = await mutateVersioned<DemandDoc>(DemandModel, id, (d) => ({ ...d, status: 'withdrawn' }), {
      meta: { op: 'withdraw', by: auth.userId },
    });
    this.matching.applyDemand(after);
    const affected = await this.matching.withdrawPending({ demandId: id }, 'the demand was withdrawn');
    for (const o of affected) await this.matching.matchOffer(o);
    const dto = this.demandDto(after);
    await this.publisher.demand(dto);
    return dto;
  }

  /** Checks who may see a posting's matches: its owner or a coordinator. @throws AppError not_found */
  async assertCanSeePosting(auth: AuthContext, kind: 'offer' | 'demand', id: string) {
    const model: mongoose.Model<any> = kind === 'offer' ? OfferModel : DemandModel;
    const doc = (await model.findById(id, { organization: 1 }).lean()) as { organization: unknown } | null;
    if (!doc) throw AppError.notFound(kind === 'offer' ? 'Offer' : 'Demand');
    ownerOnly(auth, String(doc.organization), kind === 'offer' ? 'Offer' : 'Demand');
  }
}

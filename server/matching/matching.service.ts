import mongoose from 'mongoose';
import { findCategory } from '../../models/catalog';
import { priorityWeight } from '../../models/common.schema';
import type { DemandDoc } from '../../models/demand.model';
import { DemandModel } from '../../models/demand.model';
import type { Match, MatchPatch, MatchStatus, NearMiss } from '../../models/match.schema';
import { pendingStatuses, reservingStatuses } from '../../models/match.schema';
import { MatchModel, type MatchDoc } from '../../models/match.model';
import type { OptimizeSummary } from '../../models/metrics.schema';
import { OfferModel, type OfferDoc } from '../../models/offer.model';
import { OrganizationModel, type OrganizationDoc } from '../../models/organization.model';
import type { AuthContext } from '../auth/auth.service';
import { loadVersioned, mutateManyVersioned, mutateVersioned } from '../db/versioned';
import { AppError } from '../errors';
import type { EventItem, Publisher } from '../events/publisher';
import { toDemandDto, toMatchDto, toOfferDto } from '../postings/dto';
import { solveAllocation, type AllocationInstance } from './allocation';
import { evaluate, explain, reliabilityOf, unitCost } from './eligibility';
import { OpenPostingsView } from './open-postings.view';
import type { DemandView, OfferView } from './types';

interface OrgInfo {
  name: string;
  region: string;
  certifications: string[];
  stats: { confirmed: number; delivered: number; cancelled: number };
}

interface PlannedMatch {
  id: mongoose.Types.ObjectId;
  offer: OfferView;
  demand: DemandView;
  units: number;
  score: number;
  explanation: Match['explanation'];
  source: 'incremental' | 'optimizer';
}

/** Thrown inside a compare-and-swap when the match moved on since we looked; the caller re-reads. */
class StaleMatch extends Error {}

const MAX_PROPOSALS_PER_RUN = 8;

/**
 * Matching around the pure engine: keeps the open-postings view, proposes matches when postings change,
 * runs the global allocation, and moves matches through their lifecycle, reserving units with
 * compare-and-swap updates so an offer is never oversold.
 */
export class MatchingService {
  readonly view = new OpenPostingsView();
  private readonly orgs = new Map<string, OrgInfo>();
  private optimizing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly publisher: Publisher,
    private readonly now: () => number = Date.now,
  ) {}

  /** Loads every open posting and pending proposal into the view (start-up). */
  async loadView(): Promise<void> {
    this.view.clear();
    this.orgs.clear();
    const [orgs, offers, demands, matches] = await Promise.all([
      OrganizationModel.find({ kind: { $ne: 'buyer' } }).lean(),
      OfferModel.find({ status: 'open' }).lean(),
      DemandModel.find({ status: 'open' }).lean(),
      MatchModel.find({}, { demand: 1, offer: 1, units: 1, status: 1, version: 1 }).lean(),
    ]);
    for (const o of orgs as OrganizationDoc[]) this.rememberOrg(o);
    for (const o of offers as OfferDoc[]) this.applyOffer(o);
    for (const d of demands as DemandDoc[]) this.applyDemand(d);
    for (const m of matches) {
      this.view.putMatch({
        id: String(m._id),
        offerId: String(m.offer),
        demandId: String(m.demand),
        units: m.units,
        status: m.status as MatchStatus,
        version: m.version ?? 0,
      });
    }
  }

  private rememberOrg(o: OrganizationDoc) {
    const info: OrgInfo = {
      name: o.name,
      region: o.region,
      certifications: [...(o.certifications ?? [])],
      stats: { confirmed: o.stats?.confirmed ?? 0, delivered: o.stats?.delivered ?? 0, cancelled: o.stats?.cancelled ?? 0 },
    };
    this.orgs.set(String(o._id), info);
    return info;
  }

  private async org(id: string): Promise<OrgInfo> {
    const known = this.orgs.get(id);
    if (known) return known;
    const o = (await OrganizationModel.findById(id).lean()) as OrganizationDoc | null;
    if (!o) throw AppError.notFound('Organization');
    return this.rememberOrg(o);
  }

  /** Ensures the organization is cached (postings call this before applying a change to the view). */
  async warmOrg(id: string) {
    await this.org(id);
  }

  /** The engine's view of an offer; null when it cannot take new matches. */
  offerView(o: OfferDoc): OfferView | null {
    const remaining = o.totalUnits - (o.reservedUnits ?? 0);
    if (o.status !== 'open' || remaining <= 0 || o.availableTo.getTime() <= this.now()) return null;
    const org = this.orgs.get(String(o.organization));
    const stats = org?.stats ?? { confirmed: 0, delivered: 0, cancelled: 0 };
    return {
      id: String(o._id),
      orgId: String(o.organization),
      orgName: o.organizationName,
      region: o.region,
      location: { lat: o.location.lat, lng: o.location.lng },
      products: o.products.map((p) => ({ category: p.category, unitsPerDay: p.unitsPerDay })),
      capabilities: [...o.capabilities],
      certifications: [...new Set([...(org?.certifications ?? []), ...o.certifications])],
      availableFrom: o.availableFrom.getTime(),
      availableTo: o.availableTo.getTime(),
      minOrderUnits: o.minOrderUnits ?? 1,
      pricePerUnit: o.pricePerUnit ?? null,
      conversionLeadDays: o.conversionLeadDays ?? 0,
      remainingUnits: remaining,
      reliability: reliabilityOf(stats),
      reliabilityBasis: stats,
      version: o.version ?? 0,
    };
  }

  demandView(d: DemandDoc): DemandView | null {
    const remaining = d.quantity - (d.confirmedUnits ?? 0);
    if (d.status !== 'open' || remaining <= 0 || d.deadline.getTime() <= this.now()) return null;
    return {
      id: String(d._id),
      orgId: String(d.organization),
      orgName: d.organizationName,
      region: d.region,
      category: d.category,
      quantity: d.quantity,
      remainingUnits: remaining,
      deadline: d.deadline.getTime(),
      deliveryLocation: { lat: d.deliveryLocation.lat, lng: d.deliveryLocation.lng },
      requiredCertifications: [...d.requiredCertifications],
      maxPricePerUnit: d.maxPricePerUnit ?? null,
      priority: d.priority as DemandView['priority'],
      version: d.version ?? 0,
    };
  }

  applyOffer(o: OfferDoc) {
    this.view.putOffer(String(o._id), this.offerView(o), o.version ?? 0);
  }

  applyDemand(d: DemandDoc) {
    this.view.putDemand(String(d._id), this.demandView(d), d.version ?? 0);
  }

  /** Applies an event from the log (another instance's write) to the view. */
  async applyEvent(type: string, data: Record<string, unknown>) {
    if (type === 'offer:updated') {
      const o = data.offer as ReturnType<typeof toOfferDto>;
      if (!this.orgs.has(o.organizationId)) await this.org(o.organizationId).catch(() => undefined);
      const doc = (await OfferModel.findById(o.id).lean()) as OfferDoc | null;
      if (doc) this.applyOffer(doc);
    } else if (type === 'demand:updated') {
      const d = data.demand as ReturnType<typeof toDemandDto>;
      const doc = (await DemandModel.findById(d.id).lean()) as DemandDoc | null;
      if (doc) this.applyDemand(doc);
    } else if (type === 'match:proposed' || type === 'match:updated') {
      const m = data.match as Match;
      this.view.putMatch({ id: m.id, offerId: m.offerId, demandId: m.demandId, units: m.units, status: m.status, version: m.version });
    }
  }

  private freeUnits(o: OfferView) {
    return o.remainingUnits - this.view.proposedForOffer(o.id);
  }

  private uncoveredUnits(d: DemandView) {
    return d.remainingUnits - this.view.proposedForDemand(d.id);
  }

  private plan(offer: OfferView, demand: DemandView, units: number, e: Extract<ReturnType<typeof evaluate>, { eligible: true }>, source: PlannedMatch['source']): PlannedMatch {
    const { score, explanation } = explain(offer, demand, e, units, this.now());
    return { id: new mongoose.Types.ObjectId(), offer, demand, units, score, explanation, source };
  }

  /** Proposals for a demand: the best eligible offers, split until it is covered. Synchronous, on the view. */
  planForDemand(demandId: string): PlannedMatch[] {
    const d = this.view.demands.get(demandId);
    if (!d) return [];
    let uncovered = this.uncoveredUnits(d);
    if (uncovered <= 0) return [];
    const now = this.now();
    const taken = new Set(this.view.pendingForDemand(d.id).map((m) => m.offerId));
    const candidates: { o: OfferView; e: Extract<ReturnType<typeof evaluate>, { eligible: true }>; units: number; score: number }[] = [];
    for (const o of this.view.offersServing(d.category)) {
      if (taken.has(o.id) || this.view.isDeclined(d.id, o.id)) continue;
      const free = this.freeUnits(o);
      if (free <= 0) continue;
      const e = evaluate(o, d, now);
      if (!e.eligible) continue;
      const units = Math.min(free, e.deliverableUnits, uncovered);
      if (units < o.minOrderUnits) continue;
      candidates.push({ o, e, units, score: explain(o, d, e, units, now).score });
    }
    candidates.sort((a, b) => b.score - a.score || a.o.id.localeCompare(b.o.id));
    const out: PlannedMatch[] = [];
    for (const c of candidates) {
      if (uncovered <= 0 || out.length >= MAX_PROPOSALS_PER_RUN) break;
      const units = Math.min(c.units, uncovered, this.freeUnits(c.o));
      if (units < c.o.minOrderUnits || units <= 0) continue;
      const p = this.plan(c.o, d, units, c.e, 'incremental');
      this.reserveInView(p);
      out.push(p);
      uncovered -= units;
    }
    return out;
  }

  /** Proposals for an offer: the most urgent eligible demands first, split over as many as it can serve. */
  planForOffer(offerId: string): PlannedMatch[] {
    const o = this.view.offers.get(offerId);
    if (!o) return [];
    if (this.freeUnits(o) <= 0) return [];
    const now = this.now();
    const taken = new Set(this.view.pendingForOffer(o.id).map((m) => m.demandId));
    const candidates: { d: DemandView; e: Extract<ReturnType<typeof evaluate>, { eligible: true }>; score: number }[] = [];
    for (const d of this.view.demandsFor(o.id)) {
      if (taken.has(d.id) || this.view.isDeclined(d.id, o.id) || this.uncoveredUnits(d) <= 0) continue;
      const e = evaluate(o, d, now);
      if (!e.eligible) continue;
      candidates.push({ d, e, score: explain(o, d, e, Math.min(e.deliverableUnits, this.uncoveredUnits(d)), now).score });
    }
    candidates.sort(
      (a, b) =>
        priorityWeight[b.d.priority] - priorityWeight[a.d.priority] || a.d.deadline - b.d.deadline || b.score - a.score,
    );
    const out: PlannedMatch[] = [];
    for (const c of candidates) {
      const free = this.freeUnits(o);
      if (free < o.minOrderUnits || out.length >= MAX_PROPOSALS_PER_RUN) break;
      const units = Math.min(free, c.e.deliverableUnits, this.uncoveredUnits(c.d));
      if (units < o.minOrderUnits) continue;
      const p = this.plan(o, c.d, units, c.e, 'incremental');
      this.reserveInView(p);
      out.push(p);
    }
    return out;
  }

  private reserveInView(p: PlannedMatch) {
    this.view.putMatch({ id: String(p.id), offerId: p.offer.id, demandId: p.demand.id, units: p.units, status: 'proposed', version: 0 });
  }

  /** Stores planned proposals and announces them (after `lead`); on failure the view forgets them. */
  private async persist(plans: PlannedMatch[], lead: () => EventItem[] = () => []): Promise<Match[]> {
    if (!plans.length) {
      const items = lead();
      if (items.length) await this.publisher.publish(items);
      return [];
    }
    const at = new Date(this.now());
    const docs = plans.map((p) => ({
      _id: p.id,
      demand: new mongoose.Types.ObjectId(p.demand.id),
      offer: new mongoose.Types.ObjectId(p.offer.id),
      buyerOrg: new mongoose.Types.ObjectId(p.demand.orgId),
      supplierOrg: new mongoose.Types.ObjectId(p.offer.orgId),
      buyerOrgName: p.demand.orgName,
      supplierOrgName: p.offer.orgName,
      category: p.demand.category,
      region: p.demand.region,
      supplierRegion: p.offer.region,
      priority: p.demand.priority,
      units: p.units,
      score: p.score,
      explanation: p.explanation,
      status: 'proposed',
      source: p.source,
      buyerAcceptedAt: null,
      supplierAcceptedAt: null,
      history: [{ status: 'proposed', actorId: null, actorRole: 'system', at, note: p.source === 'optimizer' ? 'global allocation' : undefined }],
      version: 0,
      createdAt: at,
      updatedAt: at,
    }));
    try {
      await MatchModel.collection.insertMany(docs as never[], { ordered: false });
    } catch (err) {
      for (const p of plans) {
        this.view.putMatch({ id: String(p.id), offerId: p.offer.id, demandId: p.demand.id, units: p.units, status: 'withdrawn', version: 1 });
      }
      throw err;
    }
    const out = docs.map((d) => toMatchDto(d as unknown as MatchDoc));
    await this.publisher.matches('match:proposed', out, lead());
    return out;
  }

  /**
   * Proposes matches for a new or changed demand. `lead` builds events to append first, in the same
   * write, once the plan is known (the demand itself, with its proposed units).
   */
  async matchDemand(demandId: string, lead?: () => EventItem[]): Promise<Match[]> {
    return this.persist(this.planForDemand(demandId), lead);
  }

  /** Proposes matches for a new or changed offer. */
  async matchOffer(offerId: string, lead?: () => EventItem[]): Promise<Match[]> {
    return this.persist(this.planForOffer(offerId), lead);
  }

  /** Withdraws the pending proposals of a posting (withdrawn, changed or used up). Accepted-by-one-side ones too unless `onlyUnaccepted`. */
  async withdrawPending(
    which: { offerId?: string; demandId?: string },
    note: string,
    opts: { onlyUnaccepted?: boolean } = {},
  ): Promise<string[]> {
    const pending = which.offerId ? this.view.pendingForOffer(which.offerId) : this.view.pendingForDemand(which.demandId!);
    const touched = new Set<string>();
    for (const p of pending) {
      if (opts.onlyUnaccepted && p.status !== 'proposed') continue;
      const m = await this.closeMatch(p.id, 'withdrawn', note);
      if (m) touched.add(which.offerId ? m.demandId : m.offerId);
    }
    return [...touched];
  }

  /** Moves a pending match to a closed status; null when it was no longer pending. */
  private async closeMatch(id: string, status: 'withdrawn' | 'expired' | 'declined', note: string, actor?: AuthContext): Promise<Match | null> {
    try {
      const { after } = await mutateVersioned<MatchDoc>(MatchModel, id, (m) => {
        if (!pendingStatuses.includes(m.status)) throw new StaleMatch();
        return {
          ...m,
          status,
          history: [...m.history, { status, actorId: actor?.userId ?? null, actorRole: actor?.role ?? 'system', at: new Date(this.now()), note }],
        };
      });
      const dto = toMatchDto(after);
      this.view.putMatch({ id, offerId: dto.offerId, demandId: dto.demandId, units: dto.units, status, version: dto.version });
      await this.publisher.match('match:updated', dto);
      return dto;
    } catch (err) {
      if (err instanceof StaleMatch) return null;
      throw err;
    }
  }

  /** Closes many pending matches in a few writes (the optimizer replaces hundreds at once). */
  private async closeMany(ids: string[], status: 'withdrawn' | 'expired', note: string): Promise<Match[]> {
    if (!ids.length) return [];
    const currents = (await Promise.all(ids.map((id) => MatchModel.findById(id).lean()))).filter(Boolean) as unknown as MatchDoc[];
    const at = new Date(this.now());
    const changed = await mutateManyVersioned<MatchDoc>(
      MatchModel,
      currents,
      (m) =>
        pendingStatuses.includes(m.status) && (status !== 'withdrawn' || m.status === 'proposed')
          ? { ...m, status, history: [...m.history, { status, actorId: null, actorRole: 'system', at, note }] }
          : null,
      { op: status, note },
    );
    const dtos = changed.map(toMatchDto);
    for (const d of dtos) this.view.putMatch({ id: d.id, offerId: d.offerId, demandId: d.demandId, units: d.units, status: d.status, version: d.version });
    await this.publisher.matches('match:updated', dtos);
    return dtos;
  }

  private async loadMatchFor(id: string, auth: AuthContext): Promise<{ m: MatchDoc; side: 'buyer' | 'supplier' }> {
    const m = await loadVersioned<MatchDoc>(MatchModel, id);
    if (!m) throw AppError.notFound('Match');
    if (auth.role === 'buyer' && auth.organizationId === String(m.buyerOrg)) return { m, side: 'buyer' };
    if (auth.role === 'supplier' && auth.organizationId === String(m.supplierOrg)) return { m, side: 'supplier' };
    if (auth.role === 'coordinator' || auth.role === 'admin') throw AppError.forbidden('Only the buyer or the supplier of a match can act on it');
    throw AppError.notFound('Match');
  }

  /** Reads one match for a party or a coordinator. */
  async getMatch(id: string, auth: AuthContext): Promise<Match> {
    const m = await loadVersioned<MatchDoc>(MatchModel, id);
    if (!m) throw AppError.notFound('Match');
    const mine = auth.organizationId && (auth.organizationId === String(m.buyerOrg) || auth.organizationId === String(m.supplierOrg));
    if (!mine && auth.role !== 'coordinator' && auth.role !== 'admin') throw AppError.notFound('Match');
    return toMatchDto(m);
  }

  private async adjustOffer(offerId: string, delta: { reserved?: number; delivered?: number }, meta: Record<string, unknown>) {
    const { after } = await mutateVersioned<OfferDoc>(
      OfferModel,
      offerId,
      (o) => {
        const reserved = (o.reservedUnits ?? 0) + (delta.reserved ?? 0);
        if ((delta.reserved ?? 0) > 0) {
          if (o.status === 'withdrawn' || o.status === 'expired') throw AppError.conflict(`The offer is ${o.status}`);
          const left = o.totalUnits - (o.reservedUnits ?? 0);
          if (left < (delta.reserved ?? 0)) {
            throw AppError.conflict(`The offer has only ${left} units left`, { remainingUnits: left });
          }
        }
        const status = o.status === 'open' && reserved >= o.totalUnits ? 'fulfilled' : o.status === 'fulfilled' && reserved < o.totalUnits ? 'open' : o.status;
        return { ...o, reservedUnits: Math.max(0, reserved), deliveredUnits: (o.deliveredUnits ?? 0) + (delta.delivered ?? 0), status };
      },
      { meta },
    );
    this.applyOffer(after);
    return after;
  }

  private async adjustDemand(demandId: string, delta: { confirmed?: number; delivered?: number }, meta: Record<string, unknown>) {
    const { after } = await mutateVersioned<DemandDoc>(
      DemandModel,
      demandId,
      (d) => {
        const confirmed = (d.confirmedUnits ?? 0) + (delta.confirmed ?? 0);
        if ((delta.confirmed ?? 0) > 0) {
          if (d.status === 'withdrawn' || d.status === 'expired') throw AppError.conflict(`The demand is ${d.status}`);
          const left = d.quantity - (d.confirmedUnits ?? 0);
          if (left < (delta.confirmed ?? 0)) throw AppError.conflict(`The demand needs only ${left} more units`, { remainingUnits: left });
        }
        const status = d.status === 'open' && confirmed >= d.quantity ? 'fulfilled' : d.status === 'fulfilled' && confirmed < d.quantity ? 'open' : d.status;
        return { ...d, confirmedUnits: Math.max(0, confirmed), deliveredUnits: (d.deliveredUnits ?? 0) + (delta.delivered ?? 0), status };
      },
      { meta },
    );
    this.applyDemand(after);
    return after;
  }

  private async announcePostings(offer: OfferDoc, demand: DemandDoc) {
    await this.publisher.offer(toOfferDto(offer, this.view.proposedForOffer(String(offer._id))));
    await this.publisher.demand(toDemandDto(demand, this.view.proposedForDemand(String(demand._id))));
  }

  /**
   * A party accepts. The first acceptance is recorded; the second confirms the match, reserving its units
   * on the offer and the demand. Either reservation failing (too few units left) undoes the other and
   * answers 409.
   * @throws AppError conflict when units are gone or the match is closed; not_found for non-parties
   */
  async accept(id: string, auth: AuthContext, note?: string): Promise<Match> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const { m, side } = await this.loadMatchFor(id, auth);
      if (reservingStatuses.includes(m.status)) return toMatchDto(m);
      if (!pendingStatuses.includes(m.status)) throw AppError.conflict(`The match is ${m.status}`);
      const mineAt = side === 'buyer' ? m.buyerAcceptedAt : m.supplierAcceptedAt;
      const otherAt = side === 'buyer' ? m.supplierAcceptedAt : m.buyerAcceptedAt;
      const at = new Date(this.now());
      const stamp = side === 'buyer' ? { buyerAcceptedAt: at } : { supplierAcceptedAt: at };
      if (!otherAt) {
        if (mineAt) return toMatchDto(m);
        try {
          const { after } = await mutateVersioned<MatchDoc>(MatchModel, id, (cur) => {
            if (cur.version !== m.version) throw new StaleMatch();
            const status: MatchStatus = side === 'buyer' ? 'accepted_by_buyer' : 'accepted_by_supplier';
            return { ...cur, ...stamp, status, history: [...cur.history, { status, actorId: auth.userId, actorRole: auth.role, at, note }] };
          });
          const dto = toMatchDto(after);
          this.view.putMatch({ id, offerId: dto.offerId, demandId: dto.demandId, units: dto.units, status: dto.status, version: dto.version });
          await this.publisher.match('match:updated', dto);
          return dto;
        } catch (err) {
          if (err instanceof StaleMatch) continue;
          throw err;
        }
      }
      const offerId = String(m.offer);
      const demandId = String(m.demand);
      const meta = { op: 'reserve', matchId: id };
      await this.adjustOffer(offerId, { reserved: m.units }, meta);
      try {
        await this.adjustDemand(demandId, { confirmed: m.units }, meta);
      } catch (err) {
        await this.adjustOffer(offerId, { reserved: -m.units }, { op: 'undo-reserve', matchId: id });
        throw err;
      }
      let confirmed: MatchDoc;
      try {
        ({ after: confirmed } = await mutateVersioned<MatchDoc>(MatchModel, id, (cur) => {
          if (cur.version !== m.version) throw new StaleMatch();
          return {
            ...cur,
            ...stamp,
            status: 'confirmed',
            history: [...cur.history, { status: 'confirmed', actorId: auth.userId, actorRole: auth.role, at, note }],
          };
        }));
      } catch (err) {
        const undo = { op: 'undo-reserve', matchId: id };
        await this.adjustDemand(demandId, { confirmed: -m.units }, undo);
        await this.adjustOffer(offerId, { reserved: -m.units }, undo);
        if (err instanceof StaleMatch) continue;
        throw err;
      }
      const dto = toMatchDto(confirmed);
      this.view.putMatch({ id, offerId, demandId, units: dto.units, status: 'confirmed', version: dto.version });
      await OrganizationModel.updateOne({ _id: m.supplierOrg }, { $inc: { 'stats.confirmed': 1 } });
      await this.publisher.match('match:updated', dto);
      await this.afterReservationChange(offerId, demandId);
      return dto;
    }
    throw AppError.conflict('The match is being changed by many requests at once; retry');
  }

  /** After units were reserved or released: trims proposals that no longer fit, re-matches, announces both postings. */
  private async afterReservationChange(offerId: string, demandId: string) {
    const offer = (await OfferModel.findById(offerId).lean()) as OfferDoc;
    const demand = (await DemandModel.findById(demandId).lean()) as DemandDoc;
    const ov = this.view.offers.get(offerId);
    const dv = this.view.demands.get(demandId);
    // proposals beyond what is left can no longer be confirmed: withdraw the unaccepted ones
    if (!ov || this.freeUnits(ov) < 0) await this.withdrawPending({ offerId }, 'the offer has no units left for it', { onlyUnaccepted: true });
    if (!dv || this.uncoveredUnits(dv) < 0) await this.withdrawPending({ demandId }, 'the demand is covered', { onlyUnaccepted: true });
    await this.announcePostings(offer, demand);
    await this.matchDemand(demandId);
    await this.matchOffer(offerId);
  }

  /** A party declines a pending match; the demand is matched again without that offer. */
  async decline(id: string, auth: AuthContext, note?: string): Promise<Match> {
    const { m } = await this.loadMatchFor(id, auth);
    if (m.status === 'declined') return toMatchDto(m);
    if (!pendingStatuses.includes(m.status)) throw AppError.conflict(`The match is ${m.status}; cancel it instead`);
    const dto = await this.closeMatch(id, 'declined', note ?? 'declined', auth);
    if (!dto) return this.decline(id, auth, note);
    await this.matchDemand(dto.demandId);
    await this.matchOffer(dto.offerId);
    return dto;
  }

  /** Later lifecycle steps: the supplier starts production and ships, the buyer confirms delivery, either cancels. */
  async transition(id: string, auth: AuthContext, patch: MatchPatch): Promise<Match> {
    const { m, side } = await this.loadMatchFor(id, auth);
    const allowed: Record<MatchPatch['status'], { from: MatchStatus[]; by: ('buyer' | 'supplier')[] }> = {
      in_production: { from: ['confirmed'], by: ['supplier'] },
      shipped: { from: ['confirmed', 'in_production'], by: ['supplier'] },
      delivered: { from: ['shipped'], by: ['buyer'] },
      cancelled: { from: [...pendingStatuses, 'confirmed', 'in_production'], by: ['buyer', 'supplier'] },
    };
    const rule = allowed[patch.status];
    if (m.status === patch.status) return toMatchDto(m);
    if (!rule.by.includes(side)) throw AppError.forbidden(`Only the ${rule.by.join(' or ')} can mark a match ${patch.status}`);
    if (!rule.from.includes(m.status)) throw AppError.conflict(`A ${m.status} match cannot become ${patch.status}`);
    const wasReserving = reservingStatuses.includes(m.status);
    let after: MatchDoc;
    try {
      ({ after } = await mutateVersioned<MatchDoc>(MatchModel, id, (cur) => {
        if (cur.version !== m.version) throw new StaleMatch();
        return {
          ...cur,
          status: patch.status,
          history: [...cur.history, { status: patch.status, actorId: auth.userId, actorRole: auth.role, at: new Date(this.now()), note: patch.note }],
        };
      }));
    } catch (err) {
      if (err instanceof StaleMatch) return this.transition(id, auth, patch);
      throw err;
    }
    const dto = toMatchDto(after);
    const offerId = String(m.offer);
    const demandId = String(m.demand);
    this.view.putMatch({ id, offerId, demandId, units: dto.units, status: dto.status, version: dto.version });
    await this.publisher.match('match:updated', dto);
    if (patch.status === 'delivered') {
      const offer = await this.adjustOffer(offerId, { delivered: m.units }, { op: 'deliver', matchId: id });
      const demand = await this.adjustDemand(demandId, { delivered: m.units }, { op: 'deliver', matchId: id });
      await OrganizationModel.updateOne({ _id: m.supplierOrg }, { $inc: { 'stats.delivered': 1 } });
      const org = this.orgs.get(String(m.supplierOrg));
      if (org) org.stats.delivered += 1;
      await this.announcePostings(offer, demand);
    } else if (patch.status === 'cancelled' && wasReserving) {
      const meta = { op: 'release', matchId: id };
      await this.adjustDemand(demandId, { confirmed: -m.units }, meta);
      await this.adjustOffer(offerId, { reserved: -m.units }, meta);
      if (side === 'supplier') {
        await OrganizationModel.updateOne({ _id: m.supplierOrg }, { $inc: { 'stats.cancelled': 1 } });
        const org = this.orgs.get(String(m.supplierOrg));
        if (org) org.stats.cancelled += 1;
      }
      await this.afterReservationChange(offerId, demandId);
    } else if (patch.status === 'cancelled') {
      await this.matchDemand(demandId);
    }
    return dto;
  }

  /** Matches of a demand or an offer, best first, with near misses when a demand is not covered. */
  async listFor(which: { demandId?: string; offerId?: string }): Promise<{ items: Match[]; nearMisses: NearMiss[] }> {
    // by `_id` from the view's index: on FerretDB any other filter scans every match
    const ids = this.view.matchIdsFor((which.demandId ?? which.offerId)!);
    const docs = (await Promise.all(ids.map((id) => MatchModel.findById(id).lean()))).filter(Boolean) as unknown as MatchDoc[];
    const items = docs.map(toMatchDto).sort((a, b) => b.score - a.score || a.createdAt.localeCompare(b.createdAt));
    const nearMisses = which.demandId ? this.nearMisses(which.demandId) : [];
    return { items, nearMisses };
  }

  /** Why offers that almost fit a demand do not, for a coordinator looking at a shortage. */
  nearMisses(demandId: string, limit = 10): NearMiss[] {
    const d = this.view.demands.get(demandId);
    if (!d || this.uncoveredUnits(d) <= 0) return [];
    const now = this.now();
    const out: (NearMiss & { n: number })[] = [];
    for (const o of this.view.offers.values()) {
      const e = evaluate(o, d, now);
      if (e.eligible) {
        if (this.view.isDeclined(d.id, o.id)) {
          out.push({ offerId: o.id, supplierOrgName: o.orgName, reasons: [{ code: 'declined', message: 'a proposal between them was declined' }], n: 1 });
        } else if (this.freeUnits(o) <= 0) {
          out.push({ offerId: o.id, supplierOrgName: o.orgName, reasons: [{ code: 'capacity', message: 'all its units are already proposed or reserved' }], n: 1 });
        }
        continue;
      }
      if (!e.near) continue;
      out.push({ offerId: o.id, supplierOrgName: o.orgName, reasons: e.reasons, n: e.reasons.length });
    }
    out.sort((a, b) => a.n - b.n || a.offerId.localeCompare(b.offerId));
    return out.slice(0, limit).map(({ n, ...rest }) => (void n, rest));
  }

  /**
   * The global allocation over every open posting: solves the transportation problem exactly (most
   * priority-weighted units, then least cost), then replaces unaccepted proposals that differ from the
   * optimum. Proposals a party already accepted, and confirmed matches, are kept and their units held.
   */
  optimize(maxArcsPerDemand = 40): Promise<OptimizeSummary> {
    // one run at a time: two interleaved runs would each replace the other's proposals
    const run = this.optimizing.then(() => this.optimizeNow(maxArcsPerDemand));
    this.optimizing = run.catch(() => undefined);
    return run;
  }

  private async optimizeNow(maxArcsPerDemand: number): Promise<OptimizeSummary> {
    const now = this.now();
    const started = performance.now();
    const heldByOffer = new Map<string, number>();
    const heldByDemand = new Map<string, number>();
    const unaccepted = new Map<string, { id: string; units: number }>();
    let previousWeighted = 0;
    let heldCount = 0;
    for (const p of this.view.pending.values()) {
      const d = this.view.demands.get(p.demandId);
      if (d) previousWeighted += priorityWeight[d.priority] * p.units;
      if (p.status === 'proposed') {
        unaccepted.set(`${p.offerId}:${p.demandId}`, { id: p.id, units: p.units });
      } else {
        heldCount++;
        heldByOffer.set(p.offerId, (heldByOffer.get(p.offerId) ?? 0) + p.units);
        heldByDemand.set(p.demandId, (heldByDemand.get(p.demandId) ?? 0) + p.units);
      }
    }
    const instance: AllocationInstance = { supplies: [], demands: [], arcs: [] };
    const evaluations = new Map<string, { o: OfferView; d: DemandView; e: Extract<ReturnType<typeof evaluate>, { eligible: true }> }>();
    for (const o of this.view.offers.values()) {
      const units = o.remainingUnits - (heldByOffer.get(o.id) ?? 0);
      if (units > 0) instance.supplies.push({ id: o.id, units });
    }
    const supplyIds = new Set(instance.supplies.map((s) => s.id));
    for (const d of this.view.demands.values()) {
      const units = d.remainingUnits - (heldByDemand.get(d.id) ?? 0);
      if (units <= 0) continue;
      instance.demands.push({ id: d.id, units, priority: priorityWeight[d.priority] });
      const arcs: { arc: AllocationInstance['arcs'][number]; score: number }[] = [];
      for (const o of this.view.offersServing(d.category)) {
        if (!supplyIds.has(o.id) || this.view.isDeclined(d.id, o.id)) continue;
        const e = evaluate(o, d, now);
        if (!e.eligible) continue;
        evaluations.set(`${o.id}:${d.id}`, { o, d, e });
        arcs.push({
          arc: { supply: o.id, demand: d.id, cost: Math.round(unitCost(o, d, e.distanceKm) * 100) / 100, limit: e.deliverableUnits },
          score: explain(o, d, e, Math.min(units, e.deliverableUnits), now).score,
        });
      }
      arcs.sort((a, b) => b.score - a.score);
      for (const a of arcs.slice(0, maxArcsPerDemand)) instance.arcs.push(a.arc);
    }
    const result = solveAllocation(instance);
    const solveMs = performance.now() - started;

    const plans: PlannedMatch[] = [];
    const keep = new Set<string>();
    for (const f of result.flows) {
      const key = `${f.supply}:${f.demand}`;
      const ev = evaluations.get(key)!;
      if (f.units < ev.o.minOrderUnits) continue;
      const existing = unaccepted.get(key);
      if (existing && existing.units === f.units) {
        keep.add(existing.id);
        continue;
      }
      plans.push(this.plan(ev.o, ev.d, f.units, ev.e, 'optimizer'));
    }
    const replaced = [...unaccepted.values()].filter(({ id }) => !keep.has(id)).map(({ id }) => id);
    const withdrawn = (await this.closeMany(replaced, 'withdrawn', 'replaced by the global allocation')).length;
    for (const p of plans) this.reserveInView(p);
    const created = await this.persist(plans);
    return {
      demands: instance.demands.length,
      offers: instance.supplies.length,
      arcs: instance.arcs.length,
      unitsAllocated: result.unitsAllocated,
      weightedUnits: result.weightedUnits,
      totalCost: result.totalCost,
      proposalsCreated: created.length,
      proposalsWithdrawn: withdrawn,
      proposalsKept: keep.size + heldCount,
      previousWeightedUnits: previousWeighted,
      solveMs: Math.round(solveMs * 10) / 10,
    };
  }

  /** Expires proposals whose demand deadline passed, then the postings past their dates. */
  async expireStale(): Promise<number> {
    const now = this.now();
    const due = [...this.view.pending.values()].filter((p) => {
      const d = this.view.demands.get(p.demandId);
      return d !== undefined && d.deadline <= now;
    });
    const closed = (await this.closeMany(due.map((p) => p.id), 'expired', 'the deadline passed')).length;
    // postings past their dates leave the open set
    for (const d of [...this.view.demands.values()].filter((x) => x.deadline <= now)) {
      try {
        const { after } = await mutateVersioned<DemandDoc>(DemandModel, d.id, (cur) => {
          if (cur.status !== 'open') throw new StaleMatch();
          return { ...cur, status: 'expired' };
        });
        this.applyDemand(after);
        await this.publisher.demand(toDemandDto(after, 0));
      } catch (err) {
        if (!(err instanceof StaleMatch)) throw err;
      }
    }
    for (const o of [...this.view.offers.values()].filter((x) => x.availableTo <= now)) {
      try {
        const { after } = await mutateVersioned<OfferDoc>(OfferModel, o.id, (cur) => {
          if (cur.status !== 'open') throw new StaleMatch();
          return { ...cur, status: 'expired' };
        });
        this.applyOffer(after);
        await this.publisher.offer(toOfferDto(after, 0));
      } catch (err) {
        if (!(err instanceof StaleMatch)) throw err;
      }
    }
    return closed;
  }

  /** The category's display name for messages. */
  categoryName(id: string) {
    return findCategory(id)?.name.en ?? id;
  }
}

import { catalog } from '../../models/catalog';
import type { Demand } from '../../models/demand.schema';
import type { EventType } from '../../models/events';
import { pendingStatuses, reservingStatuses, type Match, type MatchStatus } from '../../models/match.schema';
import type { Offer } from '../../models/offer.schema';
import { provinceAt } from '../../models/provinces';
import type { UnitStages } from '../../models/common.schema';
import { reliabilityOf, servableCategories } from '../matching/eligibility';
import type { CertStatus, DemandView, OfferView } from '../matching/types';
import type { CoordinatorScope } from '../../models/trust.schema';
import type { StoredCertification } from '../trust/records';

/** What matching needs to know of an organization. */
export interface OrgInfo {
  id: string;
  name: string;
  /** The name in Chinese, when it has one. */
  nameZh?: string;
  kind: string;
  region: string;
  location: { lat: number; lng: number };
  certifications: string[];
  /** late: delivered after the match's dueAt (counted in delivered too); answered: proposals the supplier accepted or declined. */
  stats: { confirmed: number; delivered: number; cancelled: number; lapsed: number; late?: number; answered?: number };
  /** The last log position whose outcome the stats count (replay never counts one twice). */
  statsSeq: number;
}

/** One transition of a match, as logged. */
export type Transition = Match['history'][number];

/** A stored Event log entry. `cmd` groups the events of one command; `last` marks its final event. */
export interface LedgerEvent {
  _id: string;
  seq: number;
  type: EventType;
  at: Date;
  orgIds: string[];
  region: string | null;
  categories: string[];
  data: Record<string, unknown>;
  cmd?: string;
  last?: boolean;
  /** The idempotency key the command carried, with what a retry gets back. */
  idem?: IdemRecord;
}

export interface IdemRecord {
  key: string;
  fingerprint: string;
  status: number;
  kind: 'offer' | 'demand' | 'match' | 'none';
  id: string | null;
  at: string;
}

type Entity = 'offer' | 'demand' | 'match';

function addTo(index: Map<string, Set<string>>, key: string, id: string) {
  let s = index.get(key);
  if (!s) index.set(key, (s = new Set()));
  s.add(id);
}

function removeFrom(index: Map<string, Set<string>>, key: string, id: string) {
  const s = index.get(key);
  if (!s) return;
  s.delete(id);
  if (!s.size) index.delete(key);
}

const isPending = (s: MatchStatus) => pendingStatuses.includes(s);
const isActive = (s: MatchStatus) => isPending(s) || s === 'confirmed' || s === 'in_production';
/** A pair not to propose again: declined, or lapsed unanswered. */
const isRefusal = (m: Match) => m.status === 'declined' || (m.status === 'expired' && m.lapsedBy !== undefined);

/** How long proposals wait for an answer. */
export interface LifecycleSettings {
  /** After one side accepted, the other has this long (ms) before the proposal lapses. */
  holdMs: number;
  /** An unanswered proposal lapses after this long (ms). */
  proposalTtlMs: number;
}

/**
 * The ledger's state: every offer, demand and match, the organizations matching reads, the indexes the
 * planner and the reads use, and the idempotency keys. It changes only by `apply(event)`, in log order; a
 * journal, while open, records how to undo each change, so a batch that fails to append is rolled back
 * exactly. Plain data, no I/O: the same code serves the service, replay and the tests.
 */
/** How many offer changes per category the change log keeps: caches older than that are computed again. */
export const CHANGE_LOG = 512;

export class LedgerState {
  readonly offers = new Map<string, Offer>();
  readonly demands = new Map<string, Demand>();
  readonly matches = new Map<string, Match>();
  readonly orgs = new Map<string, OrgInfo>();
  /** Sequence number each entity reflects. */
  readonly seqOf = new Map<string, number>();
  readonly idem = new Map<string, IdemRecord>();
  /** Certification records by id (`<orgId>.<certification>`), and coordinators' scopes by user id. */
  readonly certs = new Map<string, StoredCertification>();
  readonly scopes = new Map<string, CoordinatorScope>();
  private readonly certsByOrg = new Map<string, Set<string>>();

  private readonly offersByOrg = new Map<string, Set<string>>();
  private readonly demandsByOrg = new Map<string, Set<string>>();
  /** Open offers with units left, by every category they can serve (directly or by conversion). */
  private readonly offersByCategory = new Map<string, Set<string>>();
  private readonly offerCategories = new Map<string, string[]>();
  /** Open demands with units left, by category. */
  private readonly demandsByCategory = new Map<string, Set<string>>();
  private readonly pendingByOffer = new Map<string, Set<string>>();
  private readonly pendingByDemand = new Map<string, Set<string>>();
  private readonly proposedByOffer = new Map<string, number>();
  private readonly proposedByDemand = new Map<string, number>();
  private readonly matchesByPosting = new Map<string, Set<string>>();
  /** Matches whose units a line still has to make (pending, confirmed, in production), per offer. */
  private readonly activeByOffer = new Map<string, Set<string>>();
  private readonly declined = new Map<string, number>();
  /** Bumped whenever an offer that serves a category, or a refusal in it, changes (planners cache by it). */
  private readonly epochs = new Map<string, number>();
  /** Per category, the offers behind its latest epochs (the last CHANGE_LOG of them), so caches can patch. */
  private readonly changeLog = new Map<string, string[]>();
  /** Per offer, a counter bumped whenever the offer or a match on its lines changes (line caches key on it). */
  private readonly offerRevs = new Map<string, number>();
  private readonly offerViews = new Map<string, OfferView>();
  private readonly demandViews = new Map<string, DemandView>();

  settings: LifecycleSettings = { holdMs: 30 * 60_000, proposalTtlMs: 24 * 3_600_000 };
  /** Limits for organizations without a verified certification or a delivered match (config). */
  trustLimits = { maxOpenOffers: 5, maxShareOfCritical: 0.2 };

  /** Undo steps of the open journal, or null when none is open. */
  private journal: (() => void)[] | null = null;
  /** Bumped on every change: caches keyed on it (coverage) know when to recompute. */
  revision = 0;

  // ---- journal -------------------------------------------------------------------------------------

  beginJournal() {
    this.journal = [];
  }

  /** A savepoint inside the open journal. */
  mark(): number {
    return this.journal?.length ?? 0;
  }

  /** Undoes every change after `mark` (all of them by default) and keeps the journal open. */
  rollback(mark = 0) {
    const j = this.journal;
    if (!j) return;
    this.journal = null;
    while (j.length > mark) j.pop()!();
    this.journal = j;
    this.revision++;
  }

  endJournal() {
    this.journal = null;
  }

  private record(undo: () => void) {
    this.journal?.push(undo);
  }

  // ---- organizations -------------------------------------------------------------------------------

  putOrg(org: OrgInfo) {
    const prev = this.orgs.get(org.id);
    this.orgs.set(org.id, org);
    this.record(() => {
      if (prev) this.orgs.set(org.id, prev);
      else this.orgs.delete(org.id);
      this.touchOrg(org.id);
    });
    this.touchOrg(org.id);
  }

  // ---- certifications and scopes -------------------------------------------------------------------

  private setCert(rec: StoredCertification | undefined, id: string, orgId: string, seq: number | undefined) {
    if (rec) {
      this.certs.set(id, rec);
      addTo(this.certsByOrg, orgId, id);
      if (seq !== undefined) this.seqOf.set(id, seq);
    } else {
      this.certs.delete(id);
      removeFrom(this.certsByOrg, orgId, id);
      this.seqOf.delete(id);
    }
    this.touchOrg(orgId);
    this.revision++;
  }

  putCert(rec: StoredCertification, seq?: number) {
    const prev = this.certs.get(rec.id);
    const prevSeq = this.seqOf.get(rec.id);
    this.setCert(rec, rec.id, rec.organizationId, seq);
    this.record(() => {
      this.setCert(prev, rec.id, rec.organizationId, prevSeq);
      if (prev && prevSeq === undefined) this.seqOf.delete(rec.id);
    });
  }

  certIdsOf(orgId: string): string[] {
    return [...this.certIdsIn(orgId)];
  }

  /** `certIdsOf` without the copy: not to be kept, nor read while certifications change. */
  certIdsIn(orgId: string): Iterable<string> {
    return this.certsByOrg.get(orgId) ?? [];
  }

  putScope(scope: CoordinatorScope) {
    const prev = this.scopes.get(scope.userId);
    this.scopes.set(scope.userId, scope);
    this.revision++;
    this.record(() => (prev ? this.scopes.set(scope.userId, prev) : this.scopes.delete(scope.userId)));
  }

  /** What matching knows of an organization's certifications: its records, and what it only ticked (claims). */
  certStatusOf(orgId: string, ticked: Iterable<string>): Record<string, CertStatus> {
    const out: Record<string, CertStatus> = {};
    for (const c of ticked) out[c] = { state: 'claimed', validFrom: null, validUntil: null };
    for (const id of this.certsByOrg.get(orgId) ?? []) {
      const r = this.certs.get(id)!;
      out[r.certification] = {
        state: r.decision,
        validFrom: r.validFrom ? Date.parse(r.validFrom) : null,
        validUntil: r.validUntil ? Date.parse(r.validUntil) : null,
      };
    }
    return out;
  }

  private touchOrg(orgId: string) {
    for (const id of this.offersByOrg.get(orgId) ?? []) {
      this.offerViews.delete(id);
      this.bump(this.offerCategories.get(id), id);
    }
  }

  private bump(categories: Iterable<string> | undefined, offerId: string) {
    for (const c of categories ?? []) {
      this.epochs.set(c, (this.epochs.get(c) ?? 0) + 1);
      let log = this.changeLog.get(c);
      if (!log) this.changeLog.set(c, (log = []));
      log.push(offerId);
      if (log.length > 2 * CHANGE_LOG) log.splice(0, log.length - CHANGE_LOG);
    }
  }

  /** A counter that changes whenever anything an offer contributes to `category`'s candidates changes. */
  epochOf(category: string): number {
    return this.epochs.get(category) ?? 0;
  }

  /** The offers whose change moved `category` from epoch `since` to now, or null when no longer known. */
  changedSince(category: string, since: number): string[] | null {
    const n = this.epochOf(category) - since;
    const log = this.changeLog.get(category) ?? [];
    if (n < 0 || n > CHANGE_LOG || n > log.length) return null;
    return log.slice(log.length - n);
  }

  /** A counter that changes whenever an offer, or any match on its lines, changes. */
  offerRev(offerId: string): number {
    return this.offerRevs.get(offerId) ?? 0;
  }

  private touchOffer(offerId: string) {
    this.offerRevs.set(offerId, (this.offerRevs.get(offerId) ?? 0) + 1);
  }

  // ---- entities ------------------------------------------------------------------------------------

  private setOffer(o: Offer | undefined, id: string, seq: number | undefined) {
    const prev = this.offers.get(id);
    this.touchOffer(id);
    if (prev) {
      removeFrom(this.offersByOrg, prev.organizationId, id);
      this.bump(this.offerCategories.get(id), id);
      for (const c of this.offerCategories.get(id) ?? []) removeFrom(this.offersByCategory, c, id);
      this.offerCategories.delete(id);
    }
    this.offerViews.delete(id);
    if (!o) {
      this.offers.delete(id);
      this.seqOf.delete(id);
      return;
    }
    this.offers.set(id, o);
    if (seq !== undefined) this.seqOf.set(id, seq);
    addTo(this.offersByOrg, o.organizationId, id);
    if (o.status === 'open' && o.totalUnits - o.reservedUnits > 0) {
      const cats = servableCategories({ products: o.products, capabilities: o.capabilities, conversionLeadDays: o.conversionLeadDays }, catalog.categories);
      this.offerCategories.set(id, cats);
      this.bump(cats, id);
      for (const c of cats) addTo(this.offersByCategory, c, id);
    }
  }

  private setDemand(d: Demand | undefined, id: string, seq: number | undefined) {
    const prev = this.demands.get(id);
    if (prev) {
      removeFrom(this.demandsByOrg, prev.organizationId, id);
      removeFrom(this.demandsByCategory, prev.category, id);
    }
    this.demandViews.delete(id);
    // a match's due date follows its demand's deadline: the lines it is on count again
    if (prev && d && prev.deadline !== d.deadline) for (const mid of this.matchesByPosting.get(id) ?? []) {
      const m = this.matches.get(mid);
      if (m) this.touchOffer(m.offerId);
    }
    if (!d) {
      this.demands.delete(id);
      this.seqOf.delete(id);
      return;
    }
    this.demands.set(id, d);
    if (seq !== undefined) this.seqOf.set(id, seq);
    addTo(this.demandsByOrg, d.organizationId, id);
    if (d.status === 'open' && d.quantity - d.confirmedUnits > 0) addTo(this.demandsByCategory, d.category, id);
  }

  private setMatch(m: Match | undefined, id: string, seq: number | undefined) {
    const prev = this.matches.get(id);
    if (prev) this.touchOffer(prev.offerId);
    if (m) this.touchOffer(m.offerId);
    if (prev && isPending(prev.status)) {
      removeFrom(this.pendingByOffer, prev.offerId, id);
      removeFrom(this.pendingByDemand, prev.demandId, id);
      this.proposedByOffer.set(prev.offerId, (this.proposedByOffer.get(prev.offerId) ?? 0) - prev.units);
      this.proposedByDemand.set(prev.demandId, (this.proposedByDemand.get(prev.demandId) ?? 0) - prev.units);
    }
    if (prev && isActive(prev.status)) removeFrom(this.activeByOffer, prev.offerId, id);
    if (prev && isRefusal(prev)) {
      this.declined.set(`${prev.demandId}:${prev.offerId}`, (this.declined.get(`${prev.demandId}:${prev.offerId}`) ?? 1) - 1);
      this.bump([prev.category], prev.offerId);
    }
    if (!m) {
      if (prev) {
        removeFrom(this.matchesByPosting, prev.offerId, id);
        removeFrom(this.matchesByPosting, prev.demandId, id);
      }
      this.matches.delete(id);
      this.seqOf.delete(id);
      return;
    }
    this.matches.set(id, m);
    if (seq !== undefined) this.seqOf.set(id, seq);
    addTo(this.matchesByPosting, m.offerId, id);
    addTo(this.matchesByPosting, m.demandId, id);
    if (isActive(m.status)) addTo(this.activeByOffer, m.offerId, id);
    if (isPending(m.status)) {
      addTo(this.pendingByOffer, m.offerId, id);
      addTo(this.pendingByDemand, m.demandId, id);
      this.proposedByOffer.set(m.offerId, (this.proposedByOffer.get(m.offerId) ?? 0) + m.units);
      this.proposedByDemand.set(m.demandId, (this.proposedByDemand.get(m.demandId) ?? 0) + m.units);
    }
    if (isRefusal(m)) this.declined.set(`${m.demandId}:${m.offerId}`, (this.declined.get(`${m.demandId}:${m.offerId}`) ?? 0) + 1);
    if (isRefusal(m)) this.bump([m.category], m.offerId);
  }

  private put(kind: Entity, id: string, value: Offer | Demand | Match | undefined, seq: number | undefined) {
    const setter = kind === 'offer' ? this.setOffer : kind === 'demand' ? this.setDemand : this.setMatch;
    const map = (kind === 'offer' ? this.offers : kind === 'demand' ? this.demands : this.matches) as Map<string, unknown>;
    const prev = map.get(id) as never;
    const prevSeq = this.seqOf.get(id);
    setter.call(this, value as never, id, seq);
    this.revision++;
    this.record(() => {
      setter.call(this, prev, id, prevSeq);
      if (prev !== undefined && prevSeq === undefined) this.seqOf.delete(id);
    });
  }

  /** Loads a projected entity (start-up): no journal, no stats. */
  load(kind: Entity, value: Offer | Demand | Match, seq: number) {
    this.put(kind, value.id, value, seq);
  }

  putIdem(rec: IdemRecord) {
    const prev = this.idem.get(rec.key);
    if (prev === rec) return;
    this.idem.set(rec.key, rec);
    this.record(() => (prev ? this.idem.set(rec.key, prev) : this.idem.delete(rec.key)));
  }

  // ---- applying events -----------------------------------------------------------------------------

  /**
   * Applies one logged event. An entity already at this sequence number or later ignores it, so replaying
   * the log over projections that are partly ahead is harmless.
   */
  apply(e: Pick<LedgerEvent, 'seq' | 'type' | 'data' | 'idem'>) {
    if (e.idem) this.putIdem(e.idem);
    const data = e.data;
    switch (e.type) {
      case 'offer:updated': {
        const o = data.offer as Offer;
        if ((this.seqOf.get(o.id) ?? -1) >= e.seq) return;
        this.put('offer', o.id, o, e.seq);
        return;
      }
      case 'demand:updated': {
        const d = data.demand as Demand;
        if ((this.seqOf.get(d.id) ?? -1) >= e.seq) return;
        this.put('demand', d.id, d, e.seq);
        return;
      }
      case 'certification:updated': {
        const rec = data.certification as StoredCertification;
        if ((this.seqOf.get(rec.id) ?? -1) >= e.seq) return;
        this.putCert(rec, e.seq);
        return;
      }
      case 'coordinator:scoped': {
        this.putScope(data.scope as CoordinatorScope);
        return;
      }
      case 'match:proposed':
      case 'match:updated': {
        const logged = data.match as Match;
        const transition = data.transition as Transition | undefined;
        if ((this.seqOf.get(logged.id) ?? -1) >= e.seq) return;
        const prev = this.matches.get(logged.id);
        const history = logged.history ?? [...(prev?.history ?? []), ...(transition ? [transition] : [])];
        const next: Match = { ...logged, history };
        this.countOutcome(prev, next, transition, e.seq);
        this.put('match', next.id, next, e.seq);
        return;
      }
      default:
        return;
    }
  }

  /**
   * Supplier outcomes for reliability: confirmed, delivered (late when after the match's dueAt), cancelled by the
   * supplier, lapsed unanswered by it, and proposals it answered (accepted or declined).
   */
  private countOutcome(prev: Match | undefined, next: Match, t: Transition | undefined, seq: number) {
    if (prev?.status === next.status) return;
    const org = this.orgs.get(next.supplierOrgId);
    if (!org || org.statsSeq >= seq) return;
    const stats = { ...org.stats };
    let changed = false;
    if (t?.actorRole === 'supplier' && (next.status === 'accepted_by_supplier' || next.status === 'declined' || (next.status === 'confirmed' && prev?.status === 'accepted_by_buyer'))) {
      stats.answered = (stats.answered ?? 0) + 1;
      changed = true;
    }
    if (next.status === 'confirmed') stats.confirmed += 1;
    else if (next.status === 'delivered') {
      stats.delivered += 1;
      const at = t ? Date.parse(t.at) : Date.parse(next.updatedAt);
      if (next.dueAt && at > Date.parse(next.dueAt)) stats.late = (stats.late ?? 0) + 1;
    } else if (next.status === 'cancelled' && prev && reservingStatuses.includes(prev.status) && t?.actorRole === 'supplier') stats.cancelled += 1;
    else if (next.status === 'expired' && (next.lapsedBy === 'supplier' || next.lapsedBy === 'both')) stats.lapsed += 1;
    else if (!changed) return;
    this.putOrg({ ...org, stats, statsSeq: seq });
  }

  // ---- reads ---------------------------------------------------------------------------------------

  offerIdsOf(orgId: string): string[] {
    return [...(this.offersByOrg.get(orgId) ?? [])];
  }

  demandIdsOf(orgId: string): string[] {
    return [...(this.demandsByOrg.get(orgId) ?? [])];
  }

  /** Matches of an offer whose units its lines still have to make: pending, confirmed, in production. */
  activeForOffer(offerId: string): Iterable<string> {
    return this.activeByOffer.get(offerId) ?? [];
  }

  matchIdsFor(postingId: string): string[] {
    return [...(this.matchesByPosting.get(postingId) ?? [])];
  }

  proposedForOffer(id: string) {
    return this.proposedByOffer.get(id) ?? 0;
  }

  proposedForDemand(id: string) {
    return this.proposedByDemand.get(id) ?? 0;
  }

  pendingForOffer(id: string): Match[] {
    return [...(this.pendingByOffer.get(id) ?? [])].map((m) => this.matches.get(m)!);
  }

  pendingForDemand(id: string): Match[] {
    return [...(this.pendingByDemand.get(id) ?? [])].map((m) => this.matches.get(m)!);
  }

  *pendingMatches(): Iterable<Match> {
    for (const ids of this.pendingByDemand.values()) for (const id of ids) yield this.matches.get(id)!;
  }

  isDeclined(demandId: string, offerId: string) {
    return (this.declined.get(`${demandId}:${offerId}`) ?? 0) > 0;
  }

  /**
   * Units of a posting's confirmed matches by the stage they are in. They add up to the posting's confirmed
   * (reserved) units: a delivered match stays counted as confirmed (see docs/API.md, "One definition").
   */
  stagesOf(postingId: string): UnitStages {
    const s: UnitStages = { awaitingProduction: 0, inProduction: 0, shipped: 0, delivered: 0 };
    for (const id of this.matchesByPosting.get(postingId) ?? []) {
      const m = this.matches.get(id);
      if (!m) continue;
      if (m.status === 'confirmed') s.awaitingProduction += m.units;
      else if (m.status === 'in_production') s.inProduction += m.units;
      else if (m.status === 'shipped') s.shipped += m.units;
      else if (m.status === 'delivered') s.delivered += m.units;
    }
    return s;
  }

  /** The offer as it is sent: with the units its pending proposals hold. */
  offerDto(o: Offer): Offer {
    return {
      ...o,
      organizationNameZh: this.orgs.get(o.organizationId)?.nameZh ?? o.organizationName,
      remainingUnits: o.totalUnits - o.reservedUnits,
      proposedUnits: o.status === 'open' ? this.proposedForOffer(o.id) : 0,
      stages: this.stagesOf(o.id),
    };
  }

  /** The demand as it is sent: proposed, short and the stages of its confirmed units, and where its goods go. */
  demandDto(d: Demand): Demand {
    const proposed = d.status === 'open' ? this.proposedForDemand(d.id) : 0;
    return {
      ...d,
      organizationNameZh: this.orgs.get(d.organizationId)?.nameZh ?? d.organizationName,
      remainingUnits: d.quantity - d.confirmedUnits,
      proposedUnits: proposed,
      shortUnits: d.status === 'withdrawn' ? 0 : Math.max(0, d.quantity - d.confirmedUnits - proposed),
      deliveryRegion: provinceAt(d.deliveryLocation).id,
      stages: this.stagesOf(d.id),
    };
  }

  // ---- the matching engine's view ------------------------------------------------------------------

  /** The engine's view of an open offer with units left; null otherwise (`now` excludes ended windows). */
  offerView(id: string, now: number): OfferView | null {
    const cached = this.offerViews.get(id);
    if (cached) return cached.availableTo <= now ? null : cached;
    const o = this.offers.get(id);
    if (!o || o.status !== 'open' || o.totalUnits - o.reservedUnits <= 0 || Date.parse(o.availableTo) <= now) return null;
    const org = this.orgs.get(o.organizationId);
    const stats = org?.stats ?? { confirmed: 0, delivered: 0, cancelled: 0, lapsed: 0 };
    const ticked = [...new Set([...(org?.certifications ?? []), ...o.certifications])];
    const v: OfferView = {
      id: o.id,
      orgId: o.organizationId,
      orgName: o.organizationName,
      orgNameZh: org?.nameZh ?? o.organizationName,
      region: o.region,
      location: o.location,
      products: o.products,
      capabilities: o.capabilities,
      certifications: ticked,
      certificationStatus: this.certStatusOf(o.organizationId, ticked),
      availableFrom: Date.parse(o.availableFrom),
      availableTo: Date.parse(o.availableTo),
      minOrderUnits: o.minOrderUnits,
      pricePerUnit: o.pricePerUnit,
      conversionLeadDays: o.conversionLeadDays,
      remainingUnits: o.totalUnits - o.reservedUnits,
      reliability: reliabilityOf(stats),
      reliabilityBasis: { ...stats },
      version: o.version,
    };
    this.offerViews.set(id, v);
    return v;
  }

  demandView(id: string, now: number): DemandView | null {
    const cached = this.demandViews.get(id);
    if (cached) return cached.deadline <= now ? null : cached;
    const d = this.demands.get(id);
    if (!d || d.status !== 'open' || d.quantity - d.confirmedUnits <= 0 || Date.parse(d.deadline) <= now) return null;
    const v: DemandView = {
      id: d.id,
      orgId: d.organizationId,
      orgName: d.organizationName,
      orgNameZh: this.orgs.get(d.organizationId)?.nameZh ?? d.organizationName,
      region: d.region,
      category: d.category,
      quantity: d.quantity,
      remainingUnits: d.quantity - d.confirmedUnits,
      deadline: Date.parse(d.deadline),
      deliveryLocation: d.deliveryLocation,
      deliveryRegion: provinceAt(d.deliveryLocation).id,
      requiredCertifications: d.requiredCertifications,
      maxPricePerUnit: d.maxPricePerUnit,
      priority: d.priority,
      version: d.version,
    };
    this.demandViews.set(id, v);
    return v;
  }

  /** Open offers that make `category` or can convert to it. */
  offersServing(category: string, now: number): OfferView[] {
    const out: OfferView[] = [];
    for (const id of this.offersByCategory.get(category) ?? []) {
      const v = this.offerView(id, now);
      if (v) out.push(v);
    }
    return out;
  }

  /** The categories an open offer can serve, directly or by conversion. */
  categoriesOf(offerId: string): string[] {
    return this.offerCategories.get(offerId) ?? [];
  }

  /** Open demands in any category the offer can serve. */
  demandsFor(offerId: string, now: number): DemandView[] {
    const out: DemandView[] = [];
    for (const c of this.offerCategories.get(offerId) ?? []) {
      for (const id of this.demandsByCategory.get(c) ?? []) {
        const v = this.demandView(id, now);
        if (v) out.push(v);
      }
    }
    return out;
  }

  /**
   * The connected part of the market around some categories: categories linked by open offers that serve more
   * than one of them, with every open offer and demand in them. No offer outside it can serve a demand inside,
   * so re-solving it alone is the same as re-solving everything.
   */
  component(categories: Iterable<string>, now: number): { categories: Set<string>; offers: OfferView[]; demands: DemandView[] } {
    const cats = new Set<string>();
    const offerIds = new Set<string>();
    const queue = [...categories];
    while (queue.length) {
      const c = queue.pop()!;
      if (cats.has(c)) continue;
      cats.add(c);
      for (const id of this.offersByCategory.get(c) ?? []) {
        if (offerIds.has(id) || !this.offerView(id, now)) continue;
        offerIds.add(id);
        for (const other of this.offerCategories.get(id) ?? []) if (!cats.has(other)) queue.push(other);
      }
    }
    const offers: OfferView[] = [];
    for (const id of offerIds) offers.push(this.offerView(id, now)!);
    const demands: DemandView[] = [];
    for (const c of cats) {
      for (const id of this.demandsByCategory.get(c) ?? []) {
        const v = this.demandView(id, now);
        if (v) demands.push(v);
      }
    }
    return { categories: cats, offers, demands };
  }

  /** Every open offer view (the optimizer, near misses). */
  openOffers(now: number): OfferView[] {
    const ids = new Set<string>();
    for (const s of this.offersByCategory.values()) for (const id of s) ids.add(id);
    const out: OfferView[] = [];
    for (const id of ids) {
      const v = this.offerView(id, now);
      if (v) out.push(v);
    }
    return out;
  }

  openDemands(now: number): DemandView[] {
    const out: DemandView[] = [];
    for (const s of this.demandsByCategory.values()) {
      for (const id of s) {
        const v = this.demandView(id, now);
        if (v) out.push(v);
      }
    }
    return out;
  }
}

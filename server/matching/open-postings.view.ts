import { catalog } from '../../models/catalog';
import { pendingStatuses, type MatchStatus } from '../../models/match.schema';
import { servableCategories } from './eligibility';
import type { DemandView, OfferView } from './types';

export interface PendingMatchView {
  id: string;
  offerId: string;
  demandId: string;
  units: number;
  status: MatchStatus;
  version: number;
}

function addTo(index: Map<string, Set<string>>, key: string, id: string) {
  let s = index.get(key);
  if (!s) index.set(key, (s = new Set()));
  s.add(id);
}

/**
 * The in-memory view of open postings and pending proposals that the matching hot path reads, so a new
 * demand is matched without scanning collections (FerretDB's SQLite backend pushes down only `_id`
 * look-ups). Every write goes through the services, which update this view; other instances' writes
 * arrive through the Event log's tail. Updates carry versions, so applying one twice is harmless.
 */
export class OpenPostingsView {
  readonly offers = new Map<string, OfferView>();
  readonly demands = new Map<string, DemandView>();
  private readonly offerCategories = new Map<string, string[]>();
  private readonly offersByCategory = new Map<string, Set<string>>();
  private readonly demandsByCategory = new Map<string, Set<string>>();
  readonly pending = new Map<string, PendingMatchView>();
  private readonly pendingByOffer = new Map<string, Set<string>>();
  private readonly pendingByDemand = new Map<string, Set<string>>();
  private readonly proposedByOffer = new Map<string, number>();
  private readonly proposedByDemand = new Map<string, number>();
  private readonly declinedPairs = new Set<string>();
  /** Every match id (any status) per offer and per demand, so a posting's matches are read by `_id`. */
  private readonly matchesByPosting = new Map<string, Set<string>>();
  private readonly closedVersions = new Map<string, number>();

  clear() {
    for (const m of [this.offers, this.demands, this.offerCategories, this.offersByCategory, this.demandsByCategory, this.pending,
      this.pendingByOffer, this.pendingByDemand, this.proposedByOffer, this.proposedByDemand, this.closedVersions] as Map<unknown, unknown>[]) m.clear();
    this.declinedPairs.clear();
    this.matchesByPosting.clear();
  }

  /** Ids of every match of an offer or a demand. */
  matchIdsFor(postingId: string): string[] {
    return [...(this.matchesByPosting.get(postingId) ?? [])];
  }

  private stale(id: string, version: number, current?: { version: number }) {
    if (current && current.version > version) return true;
    const closed = this.closedVersions.get(id);
    return closed !== undefined && closed >= version;
  }

  /** Adds or replaces an open offer; `null` (with its version) removes a closed one. */
  putOffer(id: string, offer: OfferView | null, version: number) {
    if (this.stale(id, version, this.offers.get(id))) return;
    for (const c of this.offerCategories.get(id) ?? []) this.offersByCategory.get(c)?.delete(id);
    this.offerCategories.delete(id);
    if (!offer) {
      this.offers.delete(id);
      this.closedVersions.set(id, version);
      return;
    }
    this.offers.set(id, offer);
    const cats = servableCategories(offer, catalog.categories);
    this.offerCategories.set(id, cats);
    for (const c of cats) addTo(this.offersByCategory, c, id);
  }

  putDemand(id: string, demand: DemandView | null, version: number) {
    const current = this.demands.get(id);
    if (this.stale(id, version, current)) return;
    if (current) this.demandsByCategory.get(current.category)?.delete(id);
    if (!demand) {
      this.demands.delete(id);
      this.closedVersions.set(id, version);
      return;
    }
    this.demands.set(id, demand);
    addTo(this.demandsByCategory, demand.category, id);
  }

  /** Records a match's latest state: pending ones count as proposed units, others drop out. */
  putMatch(m: PendingMatchView) {
    addTo(this.matchesByPosting, m.offerId, m.id);
    addTo(this.matchesByPosting, m.demandId, m.id);
    const current = this.pending.get(m.id);
    if (current && current.version > m.version) return;
    if (current) {
      this.pending.delete(m.id);
      this.pendingByOffer.get(current.offerId)?.delete(m.id);
      this.pendingByDemand.get(current.demandId)?.delete(m.id);
      this.proposedByOffer.set(current.offerId, (this.proposedByOffer.get(current.offerId) ?? 0) - current.units);
      this.proposedByDemand.set(current.demandId, (this.proposedByDemand.get(current.demandId) ?? 0) - current.units);
    }
    if (m.status === 'declined') this.declinedPairs.add(`${m.demandId}:${m.offerId}`);
    if (!pendingStatuses.includes(m.status)) {
      this.closedVersions.set(m.id, m.version);
      return;
    }
    if (this.stale(m.id, m.version)) return;
    this.pending.set(m.id, m);
    addTo(this.pendingByOffer, m.offerId, m.id);
    addTo(this.pendingByDemand, m.demandId, m.id);
    this.proposedByOffer.set(m.offerId, (this.proposedByOffer.get(m.offerId) ?? 0) + m.units);
    this.proposedByDemand.set(m.demandId, (this.proposedByDemand.get(m.demandId) ?? 0) + m.units);
  }

  isDeclined(demandId: string, offerId: string) {
    return this.declinedPairs.has(`${demandId}:${offerId}`);
  }

  proposedForOffer(id: string) {
    return this.proposedByOffer.get(id) ?? 0;
  }

  proposedForDemand(id: string) {
    return this.proposedByDemand.get(id) ?? 0;
  }

  pendingForOffer(id: string): PendingMatchView[] {
    return [...(this.pendingByOffer.get(id) ?? [])].map((m) => this.pending.get(m)!).filter(Boolean);
  }

  pendingForDemand(id: string): PendingMatchView[] {
    return [...(this.pendingByDemand.get(id) ?? [])].map((m) => this.pending.get(m)!).filter(Boolean);
  }

  /** Open offers that make `category` or can convert to it. */
  offersServing(category: string): OfferView[] {
    return [...(this.offersByCategory.get(category) ?? [])].map((id) => this.offers.get(id)!).filter(Boolean);
  }

  /** Open demands in any of the offer's servable categories. */
  demandsFor(offerId: string): DemandView[] {
    const out: DemandView[] = [];
    for (const c of this.offerCategories.get(offerId) ?? []) {
      for (const id of this.demandsByCategory.get(c) ?? []) {
        const d = this.demands.get(id);
        if (d) out.push(d);
      }
    }
    return out;
  }

  /** Open demands of one category, e.g. for near-miss look-ups. */
  demandsIn(category: string): DemandView[] {
    return [...(this.demandsByCategory.get(category) ?? [])].map((id) => this.demands.get(id)!).filter(Boolean);
  }
}

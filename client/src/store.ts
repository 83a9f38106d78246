import type { User } from '../../models/auth.schema';
import type { Demand } from '../../models/demand.schema';
import type { EventPayloads, LoggedEvent } from '../../models/events';
import { MatchStatusSchema, pendingStatuses, reservingStatuses, type Match, type MatchStatus, type NearMiss } from '../../models/match.schema';
import type { CertificationRecord } from '../../models/trust.schema';
import type { Coverage } from '../../models/metrics.schema';
import type { Offer } from '../../models/offer.schema';

export type ConnState = 'connecting' | 'connected' | 'reconnecting' | 'offline';
export type Topic = 'user' | 'offers' | 'demands' | 'matches' | 'nearMisses' | 'coverage' | 'feed' | 'conn' | 'certifications';

/** One line of the coordinator's live feed: a match as it was at one event. */
export interface FeedEntry {
  seq: number;
  at: string;
  kind: 'match:proposed' | 'match:updated';
  match: Match;
}

/** Statuses worth a line in the live feed (housekeeping like withdrawn/expired proposals is left out). */
const feedStatuses: readonly MatchStatus[] = MatchStatusSchema.options.filter((s) => s !== 'withdrawn' && s !== 'expired');

const FEED_MAX = 100;

/** The same version with the same counters: nothing to redraw. */
function same(a: { version: number; updatedAt: string; proposedUnits?: number }, b: { version: number; updatedAt: string; proposedUnits?: number }) {
  return a.version === b.version && a.updatedAt === b.updatedAt && a.proposedUnits === b.proposedUnits;
}

/**
 * The client's state. Every object from the server carries a `version`, so HTTP snapshots and socket
 * events can arrive in any order: an older copy never replaces a newer one.
 */
export class Store {
  user: User | null = null;
  offers = new Map<string, Offer>();
  demands = new Map<string, Demand>();
  matches = new Map<string, Match>();
  /** When each match was last stored here (to tell a stale copy from one that arrived after a snapshot). */
  private matchSeenAt = new Map<string, number>();
  nearMisses = new Map<string, NearMiss[]>();
  /** Certification records: the organization's own (supplier), or those in a coordinator's scope. */
  certifications = new Map<string, CertificationRecord>();
  coverage: Coverage | null = null;
  feed: FeedEntry[] = [];
  conn: ConnState = 'connecting';
  /** Server clock minus this browser's, estimated from the times of live events (0 until one arrives). */
  clockOffset = 0;
  /** Seqs already in the feed: a replayed event never adds a second line. */
  private feedSeqs = new Set<number>();
  private listeners = new Set<(topics: Set<Topic>) => void>();
  private pending = new Set<Topic>();
  private flushQueued = false;

  get isCoordinator() {
    return this.user?.role === 'coordinator' || this.user?.role === 'admin';
  }

  /** Listens to changes; called at most once per task with every topic that changed. */
  subscribe(fn: (topics: Set<Topic>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed(topic: Topic) {
    this.pending.add(topic);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const topics = new Set(this.pending);
      this.pending.clear();
      for (const l of this.listeners) l(topics);
    });
  }

  reset() {
    this.user = null;
    this.offers.clear();
    this.demands.clear();
    this.matches.clear();
    this.matchSeenAt.clear();
    this.nearMisses.clear();
    this.certifications.clear();
    this.coverage = null;
    this.clearFeed();
    this.conn = 'connecting';
    for (const t of ['user', 'offers', 'demands', 'matches', 'nearMisses', 'coverage', 'feed', 'conn', 'certifications'] as Topic[]) this.changed(t);
  }

  setUser(user: User | null) {
    this.user = user;
    this.changed('user');
  }

  /** Notes the server's time of an event that just arrived, so relative times follow the server's clock. */
  noteServerTime(at: string) {
    const t = Date.parse(at);
    if (Number.isFinite(t)) this.clockOffset = t - Date.now();
  }

  /** Now, by the server's clock as far as this client can tell. */
  now(): number {
    return Date.now() + this.clockOffset;
  }

  setConn(state: ConnState) {
    if (this.conn === state) return;
    this.conn = state;
    this.changed('conn');
  }

  putOffer(o: Offer) {
    const cur = this.offers.get(o.id);
    if (cur && (cur.version > o.version || same(cur, o))) return;
    this.offers.set(o.id, o);
    this.changed('offers');
  }

  putDemand(d: Demand) {
    const cur = this.demands.get(d.id);
    if (cur && (cur.version > d.version || same(cur, d))) return;
    this.demands.set(d.id, d);
    this.changed('demands');
  }

  putMatch(m: Match) {
    const cur = this.matches.get(m.id);
    if (cur && (cur.version > m.version || same(cur, m))) return;
    this.matches.set(m.id, m);
    this.matchSeenAt.set(m.id, Date.now());
    this.changed('matches');
  }

  removeMatch(id: string) {
    if (!this.matches.delete(id)) return;
    this.matchSeenAt.delete(id);
    this.changed('matches');
  }

  /**
   * Takes a posting's match list from the server as the truth: matches this client holds for the posting
   * that the list lacks, and that were not stored after `since` (a live event newer than the request),
   * are dropped.
   */
  replaceMatchesOf(kind: 'offer' | 'demand', postingId: string, list: Match[], since: number) {
    const keep = new Set(list.map((m) => m.id));
    for (const m of [...this.matches.values()]) {
      const owner = kind === 'offer' ? m.offerId : m.demandId;
      if (owner === postingId && !keep.has(m.id) && (this.matchSeenAt.get(m.id) ?? 0) < since) this.removeMatch(m.id);
    }
    for (const m of list) this.putMatch(m);
  }

  /** Stores a certification record unless a newer version is already here (ticked claims have version 0). */
  putCertification(c: CertificationRecord) {
    const cur = this.certifications.get(c.id);
    if (cur && cur.version > c.version) return;
    if (cur && cur.version === c.version && cur.state === c.state && cur.updatedAt === c.updatedAt) return;
    this.certifications.set(c.id, c);
    this.changed('certifications');
  }

  setNearMisses(demandId: string, list: NearMiss[]) {
    const cur = this.nearMisses.get(demandId);
    if (cur && JSON.stringify(cur) === JSON.stringify(list)) return;
    this.nearMisses.set(demandId, list);
    this.changed('nearMisses');
  }

  putCoverage(c: Coverage) {
    if (this.coverage && this.coverage.generatedAt > c.generatedAt) return;
    this.coverage = c;
    this.changed('coverage');
  }

  clearFeed() {
    this.feed = [];
    this.feedSeqs.clear();
    this.changed('feed');
  }

  private addFeed(seq: number, at: string, kind: FeedEntry['kind'], match: Match) {
    if (!feedStatuses.includes(match.status) || this.feedSeqs.has(seq)) return;
    this.feedSeqs.add(seq);
    this.feed.push({ seq, at, kind, match });
    this.feed.sort((a, b) => b.seq - a.seq);
    if (this.feed.length > FEED_MAX) {
      for (const dropped of this.feed.splice(FEED_MAX)) this.feedSeqs.delete(dropped.seq);
    }
    this.changed('feed');
  }

  /** Applies one server event (live or replayed). */
  apply(event: LoggedEvent) {
    switch (event.type) {
      case 'match:proposed':
      case 'match:updated': {
        const p = event.payload as EventPayloads['match:proposed'];
        if (this.isCoordinator) this.addFeed(p.seq, p.at, event.type, p.match);
        else this.putMatch(p.match);
        break;
      }
      case 'offer:updated':
        if (!this.isCoordinator) this.putOffer((event.payload as EventPayloads['offer:updated']).offer);
        break;
      case 'demand:updated':
        if (!this.isCoordinator) this.putDemand((event.payload as EventPayloads['demand:updated']).demand);
        break;
      case 'coverage:updated':
        if (this.isCoordinator) this.putCoverage((event.payload as EventPayloads['coverage:updated']).coverage);
        break;
      case 'certification:updated':
        this.putCertification((event.payload as EventPayloads['certification:updated']).certification);
        break;
    }
  }

  matchesOfOffer(offerId: string): Match[] {
    return [...this.matches.values()].filter((m) => m.offerId === offerId);
  }

  matchesOfDemand(demandId: string): Match[] {
    return [...this.matches.values()].filter((m) => m.demandId === demandId);
  }
}

/** Waiting for one or both parties. */
export const isPending = (m: Match) => pendingStatuses.includes(m.status);
/** Confirmed or later: holds units on both postings. */
export const isReserving = (m: Match) => reservingStatuses.includes(m.status);
/** Neither closed nor refused. */
export const isOpenMatch = (m: Match) => isPending(m) || isReserving(m);

/** Units of a posting still waiting on proposals (from the matches this client holds). */
export function proposedUnitsOf(matches: Match[]): number {
  return matches.filter(isPending).reduce((s, m) => s + m.units, 0);
}

/** The one store of the page. */
export const store = new Store();

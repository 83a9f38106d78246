import type { Coverage } from '../../models/metrics.schema';
import type { Demand } from '../../models/demand.schema';
import type { Match } from '../../models/match.schema';
import type { Offer } from '../../models/offer.schema';
import type { EventType } from '../../models/events';
import type { EventLog, EventVisibility } from './event-log';

/** One event ready to append. */
export interface EventItem {
  type: EventType;
  data: Record<string, unknown>;
  visibility: EventVisibility;
}

/** The event announcing a changed offer (to its organization and coordinators). */
export function offerEvent(offer: Offer): EventItem {
  return { type: 'offer:updated', data: { offer }, visibility: { orgIds: [offer.organizationId], region: offer.region, categories: offer.products.map((p) => p.category) } };
}

/** The event announcing a changed demand. */
export function demandEvent(demand: Demand): EventItem {
  return { type: 'demand:updated', data: { demand }, visibility: { orgIds: [demand.organizationId], region: demand.region, categories: [demand.category] } };
}

/** Turns stored changes into Event log entries with who may see them; the realtime layer emits what is appended. */
export class Publisher {
  constructor(private readonly log: EventLog) {}

  /** Appends several events in one write, in order. */
  publish(items: EventItem[]) {
    return this.log.appendMany(items);
  }

  offer(offer: Offer) {
    return this.log.append('offer:updated', { offer }, {
      orgIds: [offer.organizationId],
      region: offer.region,
      categories: offer.products.map((p) => p.category),
    });
  }

  demand(demand: Demand) {
    return this.log.append('demand:updated', { demand }, {
      orgIds: [demand.organizationId],
      region: demand.region,
      categories: [demand.category],
    });
  }

  match(kind: 'match:proposed' | 'match:updated', match: Match) {
    return this.log.append(kind, { match }, {
      orgIds: [match.buyerOrgId, match.supplierOrgId],
      region: match.region,
      categories: [match.category],
    });
  }

  /** Many match events in one write, after `lead` (e.g. the posting that caused them). */
  matches(kind: 'match:proposed' | 'match:updated', matches: Match[], lead: EventItem[] = []) {
    return this.log.appendMany([
      ...lead,
      ...matches.map((match) => ({
        type: kind,
        data: { match },
        visibility: { orgIds: [match.buyerOrgId, match.supplierOrgId], region: match.region, categories: [match.category] },
      })),
    ]);
  }

  coverage(coverage: Coverage) {
    return this.log.append('coverage:updated', { coverage }, { orgIds: [], region: null, categories: [] });
  }
}

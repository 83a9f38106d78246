import type { Coverage } from '../../models/metrics.schema';
import type { Demand } from '../../models/demand.schema';
import type { Match } from '../../models/match.schema';
import type { Offer } from '../../models/offer.schema';
import type { EventLog } from './event-log';

/** Turns stored changes into Event log entries with who may see them; the realtime layer emits what is appended. */
export class Publisher {
  constructor(private readonly log: EventLog) {}

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

  /** Many match events in one write. */
  matches(kind: 'match:proposed' | 'match:updated', matches: Match[]) {
    return this.log.appendMany(
      matches.map((match) => ({
        type: kind,
        data: { match },
        visibility: { orgIds: [match.buyerOrgId, match.supplierOrgId], region: match.region, categories: [match.category] },
      })),
    );
  }

  coverage(coverage: Coverage) {
    return this.log.append('coverage:updated', { coverage }, { orgIds: [], region: null, categories: [] });
  }
}

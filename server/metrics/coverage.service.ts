import { DemandModel } from '../../models/demand.model';
import { pendingStatuses, reservingStatuses } from '../../models/match.schema';
import { MatchModel } from '../../models/match.model';
import type { Coverage, CoverageRow } from '../../models/metrics.schema';
import { OfferModel } from '../../models/offer.model';

/** Coverage per category and region, from the stored demands, offers and matches. */
export async function computeCoverage(filter: { category?: string; region?: string } = {}): Promise<Coverage> {
  const [demands, matches, offers] = await Promise.all([
    DemandModel.find({ status: { $ne: 'withdrawn' } }, { category: 1, region: 1, quantity: 1, priority: 1, deadline: 1, status: 1 }).lean(),
    MatchModel.find({ status: { $in: [...pendingStatuses, ...reservingStatuses] } }, { demand: 1, units: 1, status: 1 }).lean(),
    OfferModel.find({ status: 'open' }, { products: 1, region: 1, totalUnits: 1, reservedUnits: 1 }).lean(),
  ]);
  const rows = new Map<string, CoverageRow>();
  const row = (category: string, region: string) => {
    const key = `${category}\u0000${region}`;
    let r = rows.get(key);
    if (!r) {
      r = {
        category,
        region,
        demandedUnits: 0,
        proposedUnits: 0,
        confirmedUnits: 0,
        deliveredUnits: 0,
        shortageUnits: 0,
        supplyUnits: 0,
        openDemands: 0,
        criticalShortageUnits: 0,
        earliestDeadline: null,
      };
      rows.set(key, r);
    }
    return r;
  };
  const keep = (category: string, region: string) =>
    (!filter.category || filter.category === category) && (!filter.region || filter.region === region);

  const perDemand = new Map<string, { proposed: number; confirmed: number; delivered: number }>();
  for (const m of matches) {
    const id = String(m.demand);
    const t = perDemand.get(id) ?? { proposed: 0, confirmed: 0, delivered: 0 };
    if ((pendingStatuses as readonly string[]).includes(m.status)) t.proposed += m.units;
    else t.confirmed += m.units;
    if (m.status === 'delivered') t.delivered += m.units;
    perDemand.set(id, t);
  }
  for (const d of demands) {
    if (!keep(d.category, d.region)) continue;
    const r = row(d.category, d.region);
    const t = perDemand.get(String(d._id)) ?? { proposed: 0, confirmed: 0, delivered: 0 };
    r.demandedUnits += d.quantity;
    r.proposedUnits += t.proposed;
    r.confirmedUnits += t.confirmed;
    r.deliveredUnits += t.delivered;
    const short = Math.max(0, d.quantity - t.confirmed - t.proposed);
    r.shortageUnits += short;
    if (d.status === 'open') {
      r.openDemands += 1;
      if (short > 0) {
        if (d.priority === 'critical') r.criticalShortageUnits += short;
        const deadline = new Date(d.deadline).toISOString();
        if (!r.earliestDeadline || deadline < r.earliestDeadline) r.earliestDeadline = deadline;
      }
    }
  }
  for (const o of offers) {
    const perDay = o.products.reduce((s, p) => s + p.unitsPerDay, 0) || 1;
    const remaining = Math.max(0, o.totalUnits - (o.reservedUnits ?? 0));
    for (const p of o.products) {
      if (!keep(p.category, o.region)) continue;
      row(p.category, o.region).supplyUnits += Math.floor((remaining * p.unitsPerDay) / perDay);
    }
  }
  const list = [...rows.values()].sort((a, b) => b.shortageUnits - a.shortageUnits || a.category.localeCompare(b.category) || a.region.localeCompare(b.region));
  const totals = { demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0 };
  for (const r of list) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
  return { rows: list, totals, generatedAt: new Date().toISOString() };
}

/** Narrows a full coverage to one category and/or region. */
export function filterCoverage(c: Coverage, filter: { category?: string; region?: string }): Coverage {
  if (!filter.category && !filter.region) return c;
  const rows = c.rows.filter((r) => (!filter.category || r.category === filter.category) && (!filter.region || r.region === filter.region));
  const totals = { demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0 };
  for (const r of rows) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r[k];
  return { rows, totals, generatedAt: c.generatedAt };
}

/**
 * Coverage scans three collections, so callers share it: a result is reused until the next write this
 * instance sees, and callers arriving while one is computed for the current state wait for that one.
 */
export class CoverageService {
  private writes = 0;
  private cached: { stamp: number; value: Coverage } | null = null;
  private inflight: { stamp: number; promise: Promise<Coverage> } | null = null;

  /** Call on every stored change. */
  changed() {
    this.writes += 1;
  }

  async get(filter: { category?: string; region?: string } = {}): Promise<Coverage> {
    const stamp = this.writes;
    if (this.cached?.stamp === stamp) return filterCoverage(this.cached.value, filter);
    if (this.inflight?.stamp !== stamp) {
      const promise = computeCoverage().then((value) => {
        if (!this.cached || this.cached.stamp <= stamp) this.cached = { stamp, value };
        return value;
      });
      this.inflight = { stamp, promise };
      promise.finally(() => {
        if (this.inflight?.promise === promise) this.inflight = null;
      }).catch(() => undefined);
    }
    return filterCoverage(await this.inflight!.promise, filter);
  }
}

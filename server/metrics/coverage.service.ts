import { findCategory } from '../../models/catalog';
import type { CategoryCoverage, Coverage, CoverageRow, CoverageSummary } from '../../models/metrics.schema';
import { provinceAt, regionId } from '../../models/provinces';
import type { Ledger } from '../ledger/ledger';
import type { LedgerEvent } from '../ledger/state';
import { CoverageHistoryService } from './history';

type Sums = Pick<CoverageRow, 'demandedUnits' | 'proposedUnits' | 'confirmedUnits' | 'deliveredUnits' | 'shortageUnits' | 'supplyUnits' | 'openDemands' | 'criticalShortageUnits'>;
const SUM_KEYS: (keyof Sums)[] = ['demandedUnits', 'proposedUnits', 'confirmedUnits', 'deliveredUnits', 'shortageUnits', 'supplyUnits', 'openDemands', 'criticalShortageUnits'];
const TOTAL_KEYS = ['demandedUnits', 'proposedUnits', 'confirmedUnits', 'deliveredUnits', 'shortageUnits', 'supplyUnits'] as const;

interface Row extends Sums {
  category: string;
  region: string;
  /** Open demands of the row with a shortage, with their deadlines (for the earliest one). */
  short: Map<string, string>;
}

interface Part {
  key: string;
  sums: Partial<Sums>;
}

const rowKey = (category: string, region: string) => `${category}\u0000${region}`;

const share = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1e4) / 1e4 : 0);
const cny = (x: number) => Math.round(x * 100) / 100;
const unitOf = (category: string) => findCategory(category)?.unit ?? { en: 'unit', zh: '单位' };

/**
 * Per product in its own unit, and the figures across products that mean something: shares and values in CNY
 * at the catalog's reference prices (never a sum of pieces and kilograms).
 */
export function summarize(rows: CoverageRow[]): { byCategory: CategoryCoverage[]; summary: CoverageSummary } {
  const cats = new Map<string, CategoryCoverage>();
  for (const r of rows) {
    let c = cats.get(r.category);
    if (!c) {
      c = {
        category: r.category, unit: unitOf(r.category), referencePricePerUnit: findCategory(r.category)?.referencePricePerUnit ?? 0,
        demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0, openDemands: 0, criticalShortageUnits: 0,
        confirmedShare: 0, coveredShare: 0, deliveredShare: 0,
      };
      cats.set(r.category, c);
    }
    for (const k of SUM_KEYS) c[k] += r[k];
  }
  const v = { demanded: 0, proposed: 0, confirmed: 0, delivered: 0, shortage: 0, supply: 0 };
  let openDemands = 0;
  const byCategory = [...cats.values()].sort((a, b) => b.shortageUnits * b.referencePricePerUnit - a.shortageUnits * a.referencePricePerUnit || a.category.localeCompare(b.category));
  for (const c of byCategory) {
    c.confirmedShare = share(c.confirmedUnits, c.demandedUnits);
    c.coveredShare = share(c.confirmedUnits + c.proposedUnits, c.demandedUnits);
    c.deliveredShare = share(c.deliveredUnits, c.demandedUnits);
    const p = c.referencePricePerUnit;
    v.demanded += c.demandedUnits * p;
    v.proposed += c.proposedUnits * p;
    v.confirmed += c.confirmedUnits * p;
    v.delivered += c.deliveredUnits * p;
    v.shortage += c.shortageUnits * p;
    v.supply += c.supplyUnits * p;
    openDemands += c.openDemands;
  }
  return {
    byCategory,
    summary: {
      basis: 'value_cny',
      demandedValueCny: cny(v.demanded),
      proposedValueCny: cny(v.proposed),
      confirmedValueCny: cny(v.confirmed),
      deliveredValueCny: cny(v.delivered),
      shortageValueCny: cny(v.shortage),
      supplyValueCny: cny(v.supply),
      confirmedShare: share(v.confirmed, v.demanded),
      coveredShare: share(v.confirmed + v.proposed, v.demanded),
      deliveredShare: share(v.delivered, v.demanded),
      shortageShare: share(v.shortage, v.demanded),
      categoriesShort: byCategory.filter((c) => c.shortageUnits > 0).length,
      criticalShortage: byCategory.filter((c) => c.criticalShortageUnits > 0).map((c) => ({ category: c.category, unit: c.unit, units: c.criticalShortageUnits })),
      openDemands,
    },
  };
}

/** Narrows a coverage to one category and/or region. */
export function filterCoverage(c: Coverage, filter: { category?: string; region?: string }): Coverage {
  if (!filter.category && !filter.region) return c;
  const region = filter.region ? regionId(filter.region) : undefined;
  const rows = c.rows.filter((r) => (!filter.category || r.category === filter.category) && (!region || r.region === region));
  const totals = { demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0 };
  for (const r of rows) for (const k of TOTAL_KEYS) totals[k] += r[k];
  return { rows, totals, ...summarize(rows), generatedAt: c.generatedAt };
}

/**
 * Coverage per category and region, kept up to date incrementally from the ledger: each demand and each
 * offer contributes to its rows, and a change replaces the contribution of the postings it touched. No
 * collection is scanned; a read costs the number of rows.
 */
export class CoverageService {
  private readonly rows = new Map<string, Row>();
  private readonly demandParts = new Map<string, Part[]>();
  private readonly offerParts = new Map<string, Part[]>();
  private cached: { seq: number; value: Coverage } | null = null;
  private changes = 0;

  /** Coverage over time, folded from the Event log. */
  readonly history: CoverageHistoryService;

  constructor(private readonly ledger: Ledger) {
    this.history = new CoverageHistoryService(ledger);
    ledger.onCommitted((events) => this.onEvents(events));
    ledger.onReplicated((events) => this.onEvents(events));
  }

  /** Counts every posting in the state (start-up). */
  rebuild() {
    this.rows.clear();
    this.demandParts.clear();
    this.offerParts.clear();
    for (const id of this.ledger.state.demands.keys()) this.refreshDemand(id);
    for (const id of this.ledger.state.offers.keys()) this.refreshOffer(id);
    this.cached = null;
  }

  /** Changes applied since start (for the scheduler of `coverage:updated`). */
  get version() {
    return this.changes;
  }

  private onEvents(events: LedgerEvent[]) {
    const demands = new Set<string>();
    const offers = new Set<string>();
    for (const e of events) {
      const d = e.data as { demand?: { id: string }; offer?: { id: string }; match?: { demandId: string } };
      if (d.demand) demands.add(d.demand.id);
      if (d.match) demands.add(d.match.demandId);
      if (d.offer) offers.add(d.offer.id);
    }
    for (const id of demands) this.refreshDemand(id);
    for (const id of offers) this.refreshOffer(id);
    if (demands.size || offers.size) {
      this.changes++;
      this.cached = null;
    }
  }

  private row(category: string, region: string): Row {
    const key = rowKey(category, region);
    let r = this.rows.get(key);
    if (!r) {
      r = { category, region, demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0, openDemands: 0, criticalShortageUnits: 0, short: new Map() };
      this.rows.set(key, r);
    }
    return r;
  }

  private addParts(parts: Part[] | undefined, sign: 1 | -1) {
    for (const p of parts ?? []) {
      const r = this.rows.get(p.key)!;
      for (const k of SUM_KEYS) r[k] += sign * (p.sums[k] ?? 0);
    }
  }

  private refreshDemand(id: string) {
    const old = this.demandParts.get(id);
    this.addParts(old, -1);
    for (const p of old ?? []) this.rows.get(p.key)?.short.delete(id);
    this.demandParts.delete(id);
    const d = this.ledger.state.demands.get(id);
    if (!d || d.status === 'withdrawn') return;
    // one definition with the demand as sent (state.demandDto): proposed counts only while open
    const open = d.status === 'open';
    const proposed = open ? this.ledger.state.proposedForDemand(id) : 0;
    const short = Math.max(0, d.quantity - d.confirmedUnits - proposed);
    // filed under where the goods go, not the buyer's home
    const region = provinceAt(d.deliveryLocation).id;
    const r = this.row(d.category, region);
    const part: Part = {
      key: rowKey(d.category, region),
      sums: {
        demandedUnits: d.quantity,
        proposedUnits: proposed,
        confirmedUnits: d.confirmedUnits,
        deliveredUnits: d.deliveredUnits,
        shortageUnits: short,
        openDemands: open ? 1 : 0,
        criticalShortageUnits: open && short > 0 && d.priority === 'critical' ? short : 0,
      },
    };
    if (open && short > 0) r.short.set(id, d.deadline);
    this.demandParts.set(id, [part]);
    this.addParts([part], 1);
  }

  private refreshOffer(id: string) {
    this.addParts(this.offerParts.get(id), -1);
    this.offerParts.delete(id);
    const o = this.ledger.state.offers.get(id);
    if (!o || o.status !== 'open') return;
    const perDay = o.products.reduce((s, p) => s + p.unitsPerDay, 0) || 1;
    const remaining = Math.max(0, o.totalUnits - o.reservedUnits);
    const parts = o.products.map((p) => {
      this.row(p.category, o.region);
      return { key: rowKey(p.category, o.region), sums: { supplyUnits: Math.floor((remaining * p.unitsPerDay) / perDay) } };
    });
    this.offerParts.set(id, parts);
    this.addParts(parts, 1);
  }

  /** The coverage now (optionally narrowed); computed from the running sums, cached per log position. */
  get(filter: { category?: string; region?: string } = {}): Coverage {
    const seq = this.ledger.lastSeq();
    if (this.cached?.seq !== seq) {
      const rows: CoverageRow[] = [];
      for (const r of this.rows.values()) {
        if (!SUM_KEYS.some((k) => r[k] !== 0)) continue;
        let earliest: string | null = null;
        for (const dl of r.short.values()) if (!earliest || dl < earliest) earliest = dl;
        const { short, ...rest } = r;
        void short;
        rows.push({ ...rest, earliestDeadline: earliest, unit: unitOf(r.category) });
      }
      rows.sort((a, b) => b.shortageUnits - a.shortageUnits || a.category.localeCompare(b.category) || a.region.localeCompare(b.region));
      const totals = { demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0 };
      for (const r of rows) for (const k of TOTAL_KEYS) totals[k] += r[k];
      this.cached = { seq, value: { rows, totals, ...summarize(rows), generatedAt: new Date(this.ledger.now()).toISOString() } };
    }
    return filterCoverage(this.cached.value, filter);
  }
}

import { findCategory } from '../../models/catalog';
import type { Demand } from '../../models/demand.schema';
import { pendingStatuses, type Match } from '../../models/match.schema';
import type { CoverageHistory, HistoryPoint } from '../../models/metrics.schema';
import { provinceAt } from '../../models/provinces';
import type { Ledger } from '../ledger/ledger';
import type { LedgerEvent } from '../ledger/state';

const DAY_MS = 86_400_000;
type Sums = Omit<HistoryPoint, 'date'>;
const KEYS: (keyof Sums)[] = ['demanded', 'proposed', 'confirmed', 'delivered', 'short'];
const zero = (): Sums => ({ demanded: 0, proposed: 0, confirmed: 0, delivered: 0, short: 0 });
const dayOf = (t: number | Date) => new Date(t).toISOString().slice(0, 10);

interface DemandFold {
  key: string;
  quantity: number;
  confirmed: number;
  delivered: number;
  status: Demand['status'];
  /** Units of its pending proposals. */
  pending: number;
}

/**
 * Coverage over time, per category and delivery province, folded from the Event log: every demand and match
 * event changes the running sums (the same definitions as the live coverage: proposed only while a demand is
 * open, confirmed including delivered, short = demanded - confirmed - proposed), and the sums as they stood
 * at the end of each day (UTC) are kept. The log is read once, lazily, on the first request; after that the
 * committed and replicated events keep it current, so a read costs the days asked for times the categories.
 */
export class CoverageHistoryService {
  private readonly demands = new Map<string, DemandFold>();
  private readonly matches = new Map<string, { demandId: string; units: number; pending: boolean }>();
  private readonly sums = new Map<string, Sums>();
  /** End-of-day sums for each day that had events, keyed by the ISO date. */
  private readonly days = new Map<string, Map<string, Sums>>();
  private currentDay: string | null = null;
  /** The day (UTC) of the first demand in the log: before it there is no data, not zero. */
  private firstDemandDay: string | null = null;
  private foldedTo = 0;
  private building: Promise<void> | null = null;
  private built = false;
  private queued: LedgerEvent[] = [];
  private cache: { key: string; value: CoverageHistory } | null = null;

  constructor(private readonly ledger: Ledger) {
    const take = (events: LedgerEvent[]) => {
      if (!this.building) return;
      this.queued.push(...events);
      if (this.built) this.drain();
    };
    ledger.onCommitted(take);
    ledger.onReplicated(take);
  }

  private drain() {
    const q = this.queued;
    this.queued = [];
    for (const e of q) if (e.seq > this.foldedTo) this.fold(e);
  }

  /** Reads the whole log once (in ranges), then keeps up from the listeners. */
  private ensureBuilt(): Promise<void> {
    this.building ??= (async () => {
      let pos = 0;
      for (;;) {
        const { events, scannedTo } = await this.ledger.since(pos, 5000, () => true, 5000);
        for (const e of events) if (e.seq > this.foldedTo) this.fold(e);
        if (scannedTo <= pos) break;
        pos = scannedTo;
        if (pos >= this.ledger.lastSeq()) break;
      }
      this.foldedTo = Math.max(this.foldedTo, pos);
      this.built = true;
      this.drain();
    })().catch((err) => {
      this.building = null;
      throw err;
    });
    return this.building;
  }

  private contribution(d: DemandFold): Sums {
    if (d.status === 'withdrawn') return zero();
    const proposed = d.status === 'open' ? d.pending : 0;
    return { demanded: d.quantity, proposed, confirmed: d.confirmed, delivered: d.delivered, short: Math.max(0, d.quantity - d.confirmed - proposed) };
  }

  private addDemand(d: DemandFold | undefined, sign: 1 | -1) {
    if (!d) return;
    const c = this.contribution(d);
    let s = this.sums.get(d.key);
    if (!s) this.sums.set(d.key, (s = zero()));
    for (const k of KEYS) s[k] += sign * c[k];
  }

  private fold(e: LedgerEvent) {
    const day = dayOf(e.at);
    if (this.currentDay !== null && day > this.currentDay) this.days.set(this.currentDay, this.snapshot());
    if (this.currentDay === null || day > this.currentDay) this.currentDay = day;
    this.foldedTo = e.seq;
    this.cache = null;
    if (e.type === 'demand:updated') {
      this.firstDemandDay ??= day;
      const d = e.data.demand as Demand;
      const prev = this.demands.get(d.id);
      this.addDemand(prev, -1);
      const next: DemandFold = {
        key: `${d.category}\u0000${provinceAt(d.deliveryLocation).id}`,
        quantity: d.quantity,
        confirmed: d.confirmedUnits,
        delivered: d.deliveredUnits,
        status: d.status,
        pending: prev?.pending ?? 0,
      };
      this.demands.set(d.id, next);
      this.addDemand(next, 1);
    } else if (e.type === 'match:proposed' || e.type === 'match:updated') {
      const m = e.data.match as Match;
      const prev = this.matches.get(m.id);
      const pending = pendingStatuses.includes(m.status);
      this.matches.set(m.id, { demandId: m.demandId, units: m.units, pending });
      const d = this.demands.get(m.demandId);
      if (!d) return;
      this.addDemand(d, -1);
      d.pending += (pending ? m.units : 0) - (prev?.pending ? prev.units : 0);
      this.addDemand(d, 1);
    }
  }

  private snapshot(): Map<string, Sums> {
    const out = new Map<string, Sums>();
    for (const [k, s] of this.sums) if (KEYS.some((x) => s[x] !== 0)) out.set(k, { ...s });
    return out;
  }

  /** Coverage by day for the last `days` days up to today (the ledger's clock), per category. */
  async get(q: { days: number; category?: string; region?: string }): Promise<CoverageHistory> {
    await this.ensureBuilt();
    const now = this.ledger.now();
    const today = dayOf(now);
    const key = `${q.days}|${q.category ?? ''}|${q.region ?? ''}|${today}|${this.foldedTo}`;
    if (this.cache?.key === key) return this.cache.value;
    const dates: string[] = [];
    for (let i = q.days - 1; i >= 0; i--) dates.push(dayOf(now - i * DAY_MS));
    const known = [...this.days.keys()].sort();
    const current = this.snapshot();
    const at = (date: string): Map<string, Sums> => {
      if (this.currentDay !== null && date >= this.currentDay) return current;
      // the last day with events on or before `date` (sums carry over quiet days)
      let lo = 0;
      let hi = known.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (known[mid] <= date) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? new Map() : this.days.get(known[lo - 1])!;
    };
    const perCategory = new Map<string, HistoryPoint[]>();
    const value: HistoryPoint[] = [];
    dates.forEach((date, i) => {
      const v = { date, ...zero() };
      for (const [k, s] of at(date)) {
        const [category, region] = k.split('\u0000');
        if ((q.category && category !== q.category) || (q.region && region !== q.region)) continue;
        let series = perCategory.get(category);
        if (!series) perCategory.set(category, (series = dates.map((d) => ({ date: d, ...zero() }))));
        const price = findCategory(category)?.referencePricePerUnit ?? 0;
        for (const x of KEYS) {
          series[i][x] += s[x];
          v[x] += s[x] * price;
        }
      }
      for (const x of KEYS) v[x] = Math.round(v[x] * 100) / 100;
      value.push(v);
    });
    const categories = [...perCategory.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([category, series]) => ({ category, unit: findCategory(category)?.unit ?? { en: 'unit', zh: '单位' }, series }));
    const result: CoverageHistory = { days: dates, since: this.firstDemandDay, categories, valueCny: value, generatedAt: new Date(now).toISOString() };
    this.cache = { key, value: result };
    return result;
  }
}

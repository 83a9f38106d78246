import type { ReasonDto } from '../../models/match.schema';
import { categoryName, certificationName, capabilityName, fmtDate, fmtDays, fmtInt, fmtMoney, fmtUnits, lang, t, type Key } from './i18n';

/**
 * Reasons arrive structured, `{code, params, message}` (docs/API.md, "Reasons"): they are rendered here in the
 * viewer's language with the catalog's names. The English `message` is never shown in the Chinese interface.
 */
type Params = Record<string, unknown>;

const list = (items: string[]) => items.join(lang() === 'zh' ? '、' : ', ');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** Whose view: the buyer of a demand (near misses) or the supplier of an offer (offer reasons). */
export type ReasonSide = 'buyer' | 'supplier';

/** One reason as a sentence in the UI language; `category` is the product concerned (for units), if one. */
export function reasonText(r: ReasonDto, side: ReasonSide, category?: string): string {
  const p: Params = (r.params ?? {}) as Params;
  const units = (n: number) => fmtUnits(n, category);
  const certs = list(strings(p.certifications).map(certificationName));
  switch (r.code) {
    case 'category': {
      const caps = strings(p.missingCapabilities).map(capabilityName);
      const product = categoryName(str(p.category) ?? category ?? '');
      return caps.length ? t('rs.categoryCaps', { product, caps: list(caps) }) : t('rs.category', { product });
    }
    case 'certification':
      if (side === 'supplier') {
        const products = list(strings(p.categories).map(categoryName));
        if (p.requiredByCatalog) return t('rs.s.certCatalog', { certs, products });
        return products ? t('rs.s.cert', { certs, products }) : t('rs.certification', { certs });
      }
      return t('rs.certification', { certs });
    case 'certification_unverified':
      return t('rs.certUnverified', { certs });
    case 'certification_expired':
      return t('rs.certExpired', { certs });
    case 'price': {
      const price = num(p.pricePerUnit);
      const max = num(p.maxPricePerUnit);
      if (side === 'supplier') {
        const shown = price === null ? '—' : fmtMoney(price);
        if (p.aboveEveryCeiling) return t('rs.s.priceAll', { price: shown });
        return t('rs.s.priceSome', { price: shown, n: fmtInt(num(p.demands) ?? 0), m: fmtInt(num(p.demandsWithCeiling) ?? 0) });
      }
      if (price !== null && max !== null) return t('rs.priceBoth', { price: fmtMoney(price), max: fmtMoney(max) });
      return max !== null ? t('rs.priceMax', { max: fmtMoney(max) }) : t('rs.price');
    }
    case 'time': {
      if (side === 'supplier') {
        const late = num(p.afterDeadline) ?? 0;
        const window = num(p.windowEnds) ?? 0;
        const parts: string[] = [];
        if (late) parts.push(t(late === 1 ? 'rs.s.timeLate.one' : 'rs.s.timeLate', { n: fmtInt(late) }));
        if (window) parts.push(t(window === 1 ? 'rs.s.timeWindow.one' : 'rs.s.timeWindow', { n: fmtInt(window) }));
        return parts.length ? parts.join(lang() === 'zh' ? '；' : '; ') : t('rs.time');
      }
      if (p.kind === 'window_ends' && str(p.availableTo)) return t('rs.timeWindow', { date: fmtDate(str(p.availableTo)!) });
      const first = str(p.firstDelivery);
      const deadline = str(p.deadline);
      if (!first || !deadline) return t('rs.time');
      const transit = num(p.transitDays);
      return t('rs.timeLate', { first: fmtDate(first), deadline: fmtDate(deadline) }) + (transit ? t('rs.transit', { days: fmtDays(transit) }) : '');
    }
    case 'min_order': {
      const min = num(p.minOrderUnits) ?? 0;
      if (side === 'supplier') return t('rs.s.minOrder', { min: fmtInt(min) });
      return t('rs.minOrder', { units: units(num(p.units) ?? 0), min: units(min) });
    }
    case 'capacity': {
      const parts: string[] = [];
      const urgent = num(p.moreUrgentUnits) ?? 0;
      const others = num(p.sameOrLessUrgentUnits) ?? 0;
      // units proposed to the demand itself, and those already confirmed for it (servers before it said only the former)
      const here = num(p.proposedHereUnits) ?? 0;
      const confirmedHere = num(p.confirmedHereUnits) ?? 0;
      if (urgent) parts.push(t('rs.heldUrgent', { n: units(urgent) }));
      if (others) parts.push(t('rs.heldOthers', { n: units(others) }));
      if (confirmedHere) parts.push(t('rs.confirmedHere', { n: units(confirmedHere) }));
      if (here) parts.push(t('rs.heldHere', { n: units(here) }));
      const due = str(p.dueAt);
      const head = side === 'supplier' ? t('rs.s.capacity') : due ? t('rs.capacityBy', { date: fmtDate(due) }) : t('rs.capacity');
      return parts.length ? `${head}${t('rs.paren', { text: list(parts) })}` : head;
    }
    case 'deliverable': {
      if (side === 'supplier') return t('rs.s.deliverable');
      const deadline = str(p.deadline);
      return t('rs.deliverable', { units: units(num(p.deliverableUnits) ?? 0), date: deadline ? fmtDate(deadline) : '—' });
    }
    case 'declined':
      return t('rs.declined');
    case 'lapsed':
      return t('rs.lapsed');
    case 'covered':
      return t('rs.s.covered');
    case 'no_demand':
      return t('rs.s.noDemand', { products: list(strings(p.categories).map(categoryName)) });
    case 'closed':
      return t('rs.s.closed', { status: t(`offer.status.${str(p.status) ?? 'expired'}` as Key) });
    default:
      return t('rs.other');
  }
}

/**
 * What a supplier-side reason applies to: "2 demands, 234,000 pairs of goggles · 135,000 face shields still
 * needed". Units are given per product in the catalog's unit, never added across products, and "0 … still
 * needed" (demands already covered) is not said.
 */
export function appliesText(r: { demands: number; unitsByCategory?: { category: string; units: number }[]; units?: number | null }, category?: string): string {
  const n = r.demands;
  const byCategory = r.unitsByCategory ?? (typeof r.units === 'number' && category ? [{ category, units: r.units }] : []);
  const needed = byCategory.filter((u) => u.units > 0);
  if (!needed.length) return t(n === 1 ? 'rs.s.count.one' : 'rs.s.count', { n: fmtInt(n) });
  const units = needed.map((u) => (byCategory.length > 1 || !category || u.category !== category ? `${categoryName(u.category)} ${fmtUnits(u.units, u.category)}` : fmtUnits(u.units, u.category)));
  return t(n === 1 ? 'rs.s.applies.one' : 'rs.s.applies', { n: fmtInt(n), units: list(units) });
}

import { findCapability, findCategory, findCertification } from '../../models/catalog';
import { findProvince } from '../../models/provinces';
import { en, type Key } from './locales/en';
import { zh } from './locales/zh';

export type { Key };

/** UI languages: Simplified Chinese and English (the strings live in ./locales). */
export type Lang = 'zh' | 'en';

const dictionaries: Record<Lang, Record<Key, string>> = { en, zh };

/** Every English UI string, for the language test (no UI text on the Chinese screen may use these words). */
export const englishStrings: readonly string[] = Object.values(en);
/** Every Chinese UI string (the Latin words it uses on purpose, "CSV", "Excel", are not untranslated). */
export const chineseStrings: readonly string[] = Object.values(zh);

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem('fuchan.lang');
    if (saved === 'zh' || saved === 'en') return saved;
  } catch {
    /* storage disabled */
  }
  const nav = typeof navigator !== 'undefined' ? navigator.languages?.[0] ?? navigator.language : 'zh-CN';
  return /^zh/i.test(nav ?? '') ? 'zh' : 'en';
}

let current: Lang = initialLang();
const listeners = new Set<() => void>();

/** The current UI language. */
export function lang(): Lang {
  return current;
}

/** The BCP 47 tag for Intl and `<html lang>`. */
export function locale(): string {
  return current === 'zh' ? 'zh-CN' : 'en';
}

/** Switches the UI language, remembers it and redraws. */
export function setLang(next: Lang) {
  if (next === current) return;
  current = next;
  try {
    localStorage.setItem('fuchan.lang', next);
  } catch {
    /* storage disabled */
  }
  document.documentElement.lang = locale();
  for (const l of listeners) l();
}

/** Calls `fn` after every language switch; returns the unsubscribe. */
export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** A UI string in the current language, with `{name}` placeholders filled. */
export function t(key: Key, params?: Record<string, string | number>): string {
  let s = dictionaries[current][key] ?? en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
  return s;
}

const nf = new Map<string, Intl.NumberFormat>();
function numberFormat(opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const k = `${locale()}|${JSON.stringify(opts)}`;
  let f = nf.get(k);
  if (!f) {
    f = new Intl.NumberFormat(locale(), opts);
    nf.set(k, f);
  }
  return f;
}

/** 1,234,567 */
export function fmtInt(n: number): string {
  return numberFormat({ maximumFractionDigits: 0 }).format(n);
}

/** 19.83M / 1983万 */
export function fmtCompact(n: number): string {
  return numberFormat({ notation: 'compact', maximumFractionDigits: Math.abs(n) >= 1000 ? 2 : 0 }).format(n);
}

/** 83% from 0.83 */
export function fmtPct(share: number): string {
  return numberFormat({ style: 'percent', maximumFractionDigits: 0 }).format(share);
}

/** A relative change with its sign: "+0.3%" from 0.003. */
export function fmtChange(share: number): string {
  return numberFormat({ style: 'percent', maximumFractionDigits: 1, signDisplay: 'exceptZero' }).format(share);
}

/** ¥12.50 */
export function fmtMoney(n: number): string {
  return numberFormat({ style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol', maximumFractionDigits: 2 }).format(n);
}

/** A CNY amount, compact: ¥1.2B / ¥12亿. */
export function fmtCny(n: number): string {
  return numberFormat({ style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol', notation: 'compact', maximumFractionDigits: Math.abs(n) >= 1000 ? 1 : 0 }).format(n);
}

/** A date in the locale's medium style: "Dec 6, 2026" / "2026年12月6日". */
export function fmtDate(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(new Date(iso));
}

/** A time of day with seconds, for the live feed. */
export function fmtTime(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
}

/** A time of day, "14:30", in the viewer's time zone. */
export function fmtClock(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/** A day and time, "Dec 6, 14:30" / "12月6日 14:30", in the viewer's time zone. */
export function fmtDayTime(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
}

/** A short day for chart axes: "12/6". */
export function fmtShortDay(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { month: 'numeric', day: 'numeric', timeZone: 'UTC' }).format(new Date(iso));
}

/** A calendar day given as 'YYYY-MM-DD', in the medium style (the day itself, whatever the time zone). */
export function fmtIsoDay(day: string): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(day));
}

/** A full date and time with the time zone, for tooltips. */
export function fmtFullTime(iso: string | number | Date): string {
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'full', timeStyle: 'short' }).format(new Date(iso));
}

/** Midnight at the start of the viewer's calendar day of `t` (ms). */
function localDayStart(t: number): number {
  const d = new Date(t);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/**
 * "in 5 days" / "5天后": within a day of now, hours or minutes; further off, whole calendar days in the
 * viewer's time zone (a deadline at the end of the day 14 days ahead is "in 14 days", not 15).
 */
export function fmtRelative(iso: string | number | Date, now = Date.now()): string {
  const at = new Date(iso).getTime();
  const diff = at - now;
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'auto' });
  const abs = Math.abs(diff);
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  return rtf.format(Math.round((localDayStart(at) - localDayStart(now)) / 86_400_000), 'day');
}

/** "3 days" / "3 天". */
export function fmtDays(n: number): string {
  const rounded = Math.round(n * 10) / 10;
  return t(rounded === 1 ? 'common.day' : 'common.days', { n: numberFormat({ maximumFractionDigits: 1 }).format(rounded) });
}

/** "318 km" / "318 公里". */
export function fmtKm(n: number): string {
  return t('common.km', { n: fmtInt(n) });
}

/** A category's name in the UI language (the id if the catalog does not know it). */
export function categoryName(id: string): string {
  return findCategory(id)?.name[current] ?? id;
}

/** "1,000 pieces"-style quantity with the category's own unit. */
export function fmtUnits(n: number, categoryId?: string): string {
  const unit = categoryId ? findCategory(categoryId)?.unit[current] : undefined;
  if (current === 'zh') return `${fmtInt(n)} ${unit ?? t('common.unitsGeneric')}`;
  if (!unit) return `${fmtInt(n)} ${t('common.unitsGeneric')}`;
  if (n === 1 || unit === 'kg') return `${fmtInt(n)} ${unit}`;
  // pluralize the noun before any note in brackets: "bottles (500 mL)", "axle sets"
  return `${fmtInt(n)} ${unit.replace(/^([^(]*?)(\w+)(\s*\(.*)?$/, (_m, pre: string, noun: string, rest?: string) => `${pre}${noun}s${rest ?? ''}`)}`;
}

/** A category's unit as used after a number above one: "pieces", "kg", "件". */
export function unitName(categoryId: string): string {
  return fmtUnits(2, categoryId).replace(/^\S+\s/, '');
}

/** An organization's name in the UI language: its Chinese name in the Chinese interface, when it has one. */
export function orgName(name: string, nameZh?: string | null): string {
  return current === 'zh' && nameZh ? nameZh : name;
}

/** A capability's name from the catalog, in the UI language. */
export function capabilityName(id: string): string {
  return findCapability(id)?.name[current] ?? id;
}

/** A certification's name from the catalog, in the UI language. */
export function certificationName(id: string): string {
  return findCertification(id)?.name[current] ?? id;
}

/** A province's name from the bundled list, in the UI language. */
export function provinceName(id: string): string {
  return findProvince(id)?.name[current] ?? id;
}

/** Sorts by a localized label (pinyin order for Chinese). */
export function byLabel<T>(items: T[], label: (x: T) => string): T[] {
  const coll = new Intl.Collator(locale());
  return [...items].sort((a, b) => coll.compare(label(a), label(b)));
}

import { z } from 'zod';
import { en as zodEn } from 'zod/locales';
import { zhCN } from '../../models/zod-zh';
import { ApiError, type FieldDetail } from './api';
import { h, uid } from './dom';
import { lang, onLangChange, t, type Key } from './i18n';

const isBlank = (v: unknown) => v === undefined || v === null || v === '';

/**
 * Form messages come from zod's own locales (`zh-CN`, `en`), switched with the UI language. Two things zod
 * cannot know are said first: an empty field is "required" (not "expected number, received undefined"), and
 * the schemas' refinements carry fixed English sentences, each with a dictionary entry (see `zodErrors`).
 */
function configureZod() {
  z.config(lang() === 'zh' ? zhCN() : zodEn());
  z.config({
    customError: (issue) => {
      if (isBlank(issue.input) && issue.code !== 'unrecognized_keys') return t('val.required');
      return undefined;
    },
  });
}
configureZod();
onLangChange(configureZod);

/** The schemas' refinements have fixed English messages; each maps to a dictionary entry. */
function customMessage(message: string): string {
  if (/after/i.test(message)) return t('val.toAfterFrom');
  if (/future/i.test(message)) return t('val.future');
  return lang() === 'en' && message ? message : t('val.invalid');
}

/** Field errors keyed by dotted path ("products.0.unitsPerDay"), first message per field. */
export type FieldErrors = Map<string, string>;

/** Field errors from a failed `safeParse` of one of the shared schemas (messages in the UI language). */
export function zodErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = new Map();
  for (const issue of error.issues) {
    const path = issue.path.join('.') || '(root)';
    // a refinement's own message is a fixed English sentence (it takes precedence over any error map)
    if (!out.has(path)) out.set(path, issue.code === 'custom' ? customMessage(issue.message) : issue.message);
  }
  return out;
}

const serverCodeKey: Record<string, Key> = {
  invalid_type: 'val.invalid',
  too_small: 'val.invalid',
  too_big: 'val.invalid',
  invalid_format: 'val.invalid',
  invalid_value: 'val.choice',
  invalid_union: 'val.date',
  unrecognized_keys: 'val.unknownKey',
};

/** Per-field details of a server 400: the server's text in English, a message by code in Chinese. */
export function serverErrors(details: FieldDetail[]): FieldErrors {
  const out: FieldErrors = new Map();
  for (const d of details) {
    if (out.has(d.path)) continue;
    let msg: string;
    if (d.code === 'custom') msg = customMessage(d.message);
    else if (lang() === 'en') msg = d.message;
    else msg = t(serverCodeKey[d.code ?? ''] ?? 'val.invalid');
    out.set(d.path, msg);
  }
  return out;
}

/** A user-facing sentence for a failed request. */
export function errorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t('err.generic');
  switch (err.status) {
    case 0:
      return t('err.network');
    case 400:
      return t('err.fixFields');
    case 401:
      return t('err.session');
    case 403:
      // the limits for unverified organizations: say which, and how to lift them
      if (err.code === 'unverified_limit') return t('err.unverifiedLimit');
      return t('err.forbidden');
    case 404:
      return t('err.notFound');
    case 409:
      return lang() === 'en' ? t('err.conflict', { message: err.message }) : t('err.conflict');
    case 429:
      return t('err.rateLimited');
    case 503:
      return t('err.dbDown');
    default:
      return t('err.generic');
  }
}

/**
 * A form's error display: one message element per field path, next to its control, wired with
 * aria-describedby/aria-invalid. Controls register with `slot(path)`.
 */
export class ErrorSlots {
  private slots = new Map<string, { el: HTMLElement; control?: HTMLElement }>();
  current: FieldErrors = new Map();
  readonly summary = h('p', { class: 'form-error', attrs: { role: 'alert' }, testid: 'form-error', hidden: true });

  /** The message element for `path`; pass the control to link it. */
  slot(path: string, control?: HTMLElement): HTMLElement {
    const id = uid('err');
    const el = h('p', { class: 'field-error', id, testid: `error-${path}`, hidden: true });
    this.slots.set(path, { el, control });
    if (control) {
      const described = control.getAttribute('aria-describedby');
      control.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
    }
    const msg = this.current.get(path);
    if (msg) this.fill(path, msg);
    return el;
  }

  private fill(path: string, msg: string | undefined) {
    const s = this.slots.get(path);
    if (!s) return false;
    s.el.textContent = msg ?? '';
    s.el.hidden = !msg;
    if (s.control) {
      if (msg) s.control.setAttribute('aria-invalid', 'true');
      else s.control.removeAttribute('aria-invalid');
    }
    return true;
  }

  /** Shows `errors`; messages for paths without a slot go to the form summary. Returns the first invalid control. */
  show(errors: FieldErrors, summaryText?: string): HTMLElement | null {
    this.current = errors;
    const orphans: string[] = [];
    for (const path of this.slots.keys()) this.fill(path, undefined);
    for (const [path, msg] of errors) {
      if (!this.fill(path, msg)) {
        // a message about a whole list ("products") or an unknown field
        const parent = [...this.slots.keys()].find((p) => path.startsWith(`${p}.`) || p.startsWith(`${path}.`));
        if (parent && !errors.has(parent)) this.fill(parent, msg);
        else orphans.push(msg);
      }
    }
    const text = [summaryText, ...orphans].filter(Boolean).join(' ');
    this.summary.textContent = text;
    this.summary.hidden = !text;
    for (const [path] of errors) {
      const c = this.slots.get(path)?.control;
      if (c) return c;
    }
    return null;
  }

  clear() {
    this.show(new Map());
  }

  reset() {
    this.slots.clear();
  }
}

/** A labelled control with its hint and error slot: `<div class=field><label/>control<hint/><error/></div>`. */
export function field(
  errors: ErrorSlots,
  path: string,
  label: string,
  control: HTMLElement,
  opts: { hint?: string; optional?: boolean; class?: string } = {},
): HTMLElement {
  const id = control.id || uid('in');
  control.id = id;
  const hintEl = opts.hint ? h('p', { class: 'hint', id: `${id}-hint` }, opts.hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h(
    'div',
    { class: `field ${opts.class ?? ''}` },
    h('label', { htmlFor: id }, label, opts.optional ? h('span', { class: 'optional' }, ` (${t('common.optional')})`) : null),
    control,
    hintEl,
    errors.slot(path, control),
  );
}

/** A fieldset of checkboxes over `options`, bound to `selected`. */
export function checkboxGroup(
  errors: ErrorSlots,
  path: string,
  legend: string,
  options: { id: string; label: string; note?: string }[],
  selected: Set<string>,
  opts: { testid?: string; hint?: string; onchange?: () => void; optional?: boolean } = {},
): HTMLElement {
  const fs = h('fieldset', { class: 'checks', testid: opts.testid });
  fs.appendChild(h('legend', null, legend, opts.optional ? h('span', { class: 'optional' }, ` (${t('common.optional')})`) : null));
  if (opts.hint) fs.appendChild(h('p', { class: 'hint' }, opts.hint));
  const list = h('div', { class: 'check-list' });
  for (const o of options) {
    const box = h('input', {
      type: 'checkbox',
      value: o.id,
      checked: selected.has(o.id),
      key: `${path}:${o.id}`,
      onchange: (e: Event) => {
        if ((e.target as HTMLInputElement).checked) selected.add(o.id);
        else selected.delete(o.id);
        opts.onchange?.();
      },
    });
    list.appendChild(h('label', { class: 'check' }, box, h('span', null, o.label), o.note ? h('small', null, o.note) : null));
  }
  fs.appendChild(list);
  fs.appendChild(errors.slot(path, fs));
  return fs;
}

/** Reads a number input: '' is undefined (so zod says "required"), otherwise a number (possibly NaN). */
export function numberValue(raw: string): number | undefined {
  const s = raw.trim().replace(/,/g, '');
  if (s === '') return undefined;
  return Number(s);
}

/** `YYYY-MM-DD` of a local date, for `<input type=date>`. */
export function dateInputValue(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * The ISO instant of a date input's start or end of day in the viewer's time zone (dates are whole days:
 * an end date of 2026-12-31 includes that whole day, up to 23:59:59.999 local); undefined when empty.
 */
export function dateToIso(value: string, edge: 'start' | 'end'): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return value ? value : undefined;
  const d = edge === 'start' ? new Date(+m[1], +m[2] - 1, +m[3], 0, 0, 0, 0) : new Date(+m[1], +m[2] - 1, +m[3], 23, 59, 59, 999);
  return d.toISOString();
}

/** The date input value `days` from today. */
export function daysFromToday(days: number): string {
  const d = new Date();
  d.setDate(d.getDate() + days);
  return dateInputValue(d);
}

import { catalog, findCategory } from '../../../models/catalog';
import type { Match, OfferReasons } from '../../../models/match.schema';
import { OfferInputSchema, OfferPatchSchema, type Offer, type OfferInput, type OfferPatch } from '../../../models/offer.schema';
import { api, ApiError, type LineScheduleList } from '../api';
import { loadCharts, stackBar, type DayChart } from '../charts';
import { h, replace } from '../dom';
import {
  checkboxGroup,
  dateInputValue,
  dateToIso,
  daysFromToday,
  ErrorSlots,
  errorText,
  field,
  numberValue,
  serverErrors,
  zodErrors,
} from '../forms';
import { byLabel, capabilityName, categoryName, certificationName, fmtCompact, fmtDate, fmtInt, fmtIsoDay, fmtMoney, fmtShortDay, fmtUnits, lang, t, type Key } from '../i18n';
import { appliesText, reasonText } from '../reasons';
import { isPending, isReserving, proposedUnitsOf, store, type Topic } from '../store';
import { matchList } from './matches';
import type { Live } from '../live';
import { toast } from './shell';
import { postingWorkspace } from './posting';
import { transferPanel } from './transfer';
import { certificationsCard } from './trust';
import { loadMatchesFor, pool, type Workspace } from './workspace';

interface Draft {
  editingId: string | null;
  products: { category: string; unitsPerDay: string }[];
  capabilities: Set<string>;
  availableFrom: string;
  availableTo: string;
  minOrderUnits: string;
  pricePerUnit: string;
  conversionLeadDays: string;
  certifications: Set<string>;
}

function freshDraft(): Draft {
  return {
    editingId: null,
    products: [{ category: '', unitsPerDay: '' }],
    capabilities: new Set(),
    availableFrom: daysFromToday(0),
    availableTo: daysFromToday(30),
    minOrderUnits: '',
    pricePerUnit: '',
    conversionLeadDays: '',
    certifications: new Set(store.user?.organization?.certifications ?? []),
  };
}

function draftOf(o: Offer): Draft {
  return {
    editingId: o.id,
    products: o.products.map((p) => ({ category: p.category, unitsPerDay: String(p.unitsPerDay) })),
    capabilities: new Set(o.capabilities),
    availableFrom: dateInputValue(new Date(o.availableFrom)),
    availableTo: dateInputValue(new Date(o.availableTo)),
    minOrderUnits: o.minOrderUnits > 1 ? String(o.minOrderUnits) : '',
    pricePerUnit: o.pricePerUnit === null ? '' : String(o.pricePerUnit),
    conversionLeadDays: o.conversionLeadDays > 0 ? String(o.conversionLeadDays) : '',
    certifications: new Set(o.certifications),
  };
}

/**
 * Each product line's capacity, confirmed and proposed units, in its own product (units of different products
 * are never added up). Every line runs the whole window, so a line's share of the offer's total is its share of
 * the output per day; a match says which line makes its units (`line`, the first when it does not).
 */
function lineCapacities(o: Offer, matches: Match[]) {
  const perDay = o.products.reduce((n, p) => n + p.unitsPerDay, 0) || 1;
  const lines = o.products.map((p) => ({ category: p.category, total: Math.round((o.totalUnits * p.unitsPerDay) / perDay), committed: 0, proposed: 0 }));
  for (const m of matches) {
    const l = lines[m.line ?? 0];
    if (!l) continue;
    if (isReserving(m)) l.committed += m.units;
    else if (o.status === 'open' && isPending(m)) l.proposed += m.units;
  }
  return lines;
}

/** The capacity bar of an offer or of one of its lines: committed, proposed and free units out of `total`. */
function capacityBar(category: string, total: number, committed: number, proposed: number, testid: string): HTMLElement {
  return stackBar(
    [
      { key: 'committed', label: t('offer.committed'), value: committed, cls: 'seg-confirmed' },
      { key: 'proposed', label: t('offer.proposed'), value: proposed, cls: 'seg-proposed' },
      { key: 'free', label: t('offer.free'), value: Math.max(0, total - committed - proposed), cls: 'seg-free' },
    ],
    total,
    testid,
    (n) => fmtUnits(n, category),
  );
}

/** Colors of the parts of a day's output, as in the capacity bars. */
const lineSeries = [
  { key: 'committed', label: 'offer.committed', color: '#43a047' },
  { key: 'proposed', label: 'offer.proposed', color: '#f9a825' },
  { key: 'free', label: 'offer.free', color: '#cfd8dc' },
] as const;

/** Waits this long after the last change of an offer's matches before asking for its lines again. */
const LINES_DEBOUNCE_MS = 400;

/**
 * One offer's per-line charts of each day's output (committed, proposed, free). The element lives as long
 * as the workspace: the offer card is redrawn around it, so the charts are not rebuilt on every change.
 */
class LinePanel {
  readonly el: HTMLElement;
  private charts: DayChart[] = [];
  private data: LineScheduleList | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight = false;
  private again = false;
  /** What the offer and its matches looked like when the lines were last asked for. */
  sig = '';

  constructor(
    readonly offerId: string,
    private readonly charting: typeof loadCharts,
  ) {
    this.el = h('section', { class: 'lines', testid: 'offer-lines', dataset: { offerId, state: 'loading' } });
  }

  /** Asks for the lines again after the changes settle. */
  refreshSoon(delay = LINES_DEBOUNCE_MS) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, delay);
  }

  async load() {
    if (this.inflight) {
      this.again = true;
      return;
    }
    this.inflight = true;
    try {
      this.data = await api.offerLines(this.offerId);
      await this.draw();
    } catch (e) {
      this.el.dataset.state = 'error';
      replace(this.el, h('h4', { class: 'sub' }, t('line.title')), h('p', { class: 'form-error' }, errorText(e)));
    } finally {
      this.inflight = false;
      if (this.again) {
        this.again = false;
        this.refreshSoon(0);
      }
    }
  }

  /** Draws the charts from the last data, in the UI language. */
  async draw() {
    const data = this.data;
    if (!data) return;
    const mod = await this.charting();
    this.disposeCharts();
    const blocks = data.lines.map((line) => {
      const sums = { committed: 0, proposed: 0, free: 0 };
      for (const d of line.days) for (const k of ['committed', 'proposed', 'free'] as const) sums[k] += d[k];
      const from = line.days[0]?.date;
      const to = line.days[line.days.length - 1]?.date;
      const product = categoryName(line.category);
      const host = h('div', {
        class: 'chart day-chart',
        testid: 'line-chart-canvas',
        attrs: {
          role: 'img',
          'aria-label': from
            ? t('line.chartAria', { product, from: fmtIsoDay(from), to: fmtIsoDay(to!), committed: fmtInt(sums.committed), proposed: fmtInt(sums.proposed), free: fmtInt(sums.free) })
            : t('line.empty'),
        },
      });
      const block = h(
        'div',
        {
          class: 'line-block',
          testid: 'line-chart',
          dataset: {
            line: line.line,
            category: line.category,
            days: line.days.length,
            series: lineSeries.map((s) => s.key).join(','),
            legend: lineSeries.map((s) => t(s.label)).join('|'),
            ...sums,
          },
        },
        h('p', { class: 'line-name' }, t('line.name', { product, perDay: t('common.perDay', { n: fmtUnits(line.unitsPerDay, line.category) }) })),
        line.days.length ? host : h('p', { class: 'empty' }, t('line.empty')),
      );
      return { line, host, block };
    });
    replace(this.el, h('h4', { class: 'sub' }, t('line.title')), blocks.map((b) => b.block));
    this.el.dataset.state = 'ready';
    for (const { line, host } of blocks) {
      if (!line.days.length) continue;
      const chart = mod.createDayChart(host);
      chart.update(
        line.days.map((d) => fmtShortDay(d.date)),
        lineSeries.map((s) => ({ name: t(s.label), color: s.color, values: line.days.map((d) => d[s.key]) })),
        fmtCompact,
      );
      this.charts.push(chart);
    }
  }

  private disposeCharts() {
    for (const c of this.charts.splice(0)) c.dispose();
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer);
    this.disposeCharts();
  }
}

/**
 * Why an offer gets nothing or less than it could (GET /offers/:id/reasons), in the UI language. Like the
 * line charts, it lives as long as the workspace and is asked again when the offer or its matches change.
 */
class ReasonPanel {
  readonly el: HTMLElement;
  private data: OfferReasons | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly offer: () => Offer | undefined,
    readonly offerId: string,
  ) {
    this.el = h('section', { class: 'offer-reasons', testid: 'offer-reasons', dataset: { offerId, state: 'loading' } });
  }

  refreshSoon(delay = LINES_DEBOUNCE_MS) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.load();
    }, delay);
  }

  private async load() {
    try {
      this.data = await api.offerReasons(this.offerId);
      this.draw();
    } catch {
      // the reasons are an explanation: without them the card still works
      this.el.dataset.state = 'error';
    }
  }

  draw() {
    const d = this.data;
    if (!d) return;
    const o = this.offer();
    const category = o && o.products.length === 1 ? o.products[0].category : undefined;
    this.el.dataset.state = 'ready';
    this.el.dataset.codes = d.reasons.map((r) => r.code).join(',');
    if (!d.reasons.length) {
      replace(this.el);
      return;
    }
    replace(
      this.el,
      h('h4', { class: 'sub' }, t('rs.s.title')),
      h(
        'ul',
        { class: 'reasons' },
        d.reasons.map((r) =>
          h(
            'li',
            { testid: 'offer-reason', dataset: { code: r.code, demands: r.demands, units: r.units ?? '' } },
            reasonText(r, 'supplier', category),
            r.demands > 0 ? h('small', { class: 'detail' }, ` · ${appliesText(r, category)}`) : null,
          ),
        ),
      ),
    );
  }

  dispose() {
    if (this.timer) clearTimeout(this.timer);
  }
}

/** The supplier workspace: post and edit capacity, see committed / proposed / free units, act on proposals. */
export function supplierView(live: Live): Workspace {
  let draft = freshDraft();
  const panels = new Map<string, LinePanel>();
  const reasonPanels = new Map<string, ReasonPanel>();

  /** The reasons of an offer still open (created and loaded the first time). */
  function reasonsOf(o: Offer): ReasonPanel | null {
    if (o.status !== 'open') {
      reasonPanels.get(o.id)?.dispose();
      reasonPanels.delete(o.id);
      return null;
    }
    let p = reasonPanels.get(o.id);
    if (!p) {
      p = new ReasonPanel(() => store.offers.get(o.id), o.id);
      reasonPanels.set(o.id, p);
      p.refreshSoon(0);
    }
    return p;
  }
  // echarts is loaded only when there is a chart to draw
  const charting = loadCharts;

  /** The line charts of an offer still taking orders (created and loaded the first time). */
  function panelOf(o: Offer): LinePanel | null {
    if (o.status === 'withdrawn' || o.status === 'expired') {
      panels.get(o.id)?.dispose();
      panels.delete(o.id);
      return null;
    }
    let p = panels.get(o.id);
    if (!p) {
      p = new LinePanel(o.id, charting);
      p.sig = signature(o);
      panels.set(o.id, p);
      p.refreshSoon(0);
    }
    return p;
  }

  /** What a change of the offer or of its matches would change in its lines. */
  function signature(o: Offer): string {
    const ms = store
      .matchesOfOffer(o.id)
      .map((m) => `${m.id}:${m.version}:${m.status}`)
      .sort()
      .join(',');
    return `${o.version}|${ms}`;
  }

  /** Asks again (debounced) for the lines of every offer whose matches changed. */
  function refreshChangedLines() {
    for (const [id, p] of panels) {
      const o = store.offers.get(id);
      if (!o) continue;
      const sig = signature(o);
      if (sig === p.sig) continue;
      p.sig = sig;
      p.refreshSoon();
      reasonPanels.get(id)?.refreshSoon();
    }
  }

  function renderForm() {
    const errors = new ErrorSlots();
    const editing = draft.editingId !== null;
    const productRows = draft.products.map((p, i) => {
      const cat = h(
        'select',
        {
          key: `prod-cat-${i}`,
          testid: `offer-category-${i}`,
          onchange: (e: Event) => {
            p.category = (e.target as HTMLSelectElement).value;
            renderForm();
          },
        },
        h('option', { value: '' }, '—'),
        byLabel(catalog.categories, (c) => c.name[lang()]).map((c) => h('option', { value: c.id, selected: p.category === c.id }, c.name[lang()])),
      );
      const units = h('input', {
        type: 'number',
        min: 1,
        step: 1,
        inputMode: 'numeric',
        value: p.unitsPerDay,
        key: `prod-units-${i}`,
        testid: `offer-units-${i}`,
        oninput: (e: Event) => (p.unitsPerDay = (e.target as HTMLInputElement).value),
      });
      const needs = findCategory(p.category)?.capabilities.filter((c) => !draft.capabilities.has(c)) ?? [];
      // certifications every buyer of this product requires (the catalog's): said before posting, not after
      const requiredCerts = findCategory(p.category)?.certifications ?? [];
      return h(
        'div',
        { class: 'product-row', testid: 'offer-product-row' },
        field(errors, `products.${i}.category`, t('offer.category'), cat, { class: 'grow' }),
        field(errors, `products.${i}.unitsPerDay`, t('offer.unitsPerDay'), units, {
          class: 'narrow',
          hint: p.category ? findCategory(p.category)?.unit[lang()] : undefined,
        }),
        draft.products.length > 1
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn btn-sm btn-ghost remove',
                key: `prod-remove-${i}`,
                attrs: { 'aria-label': `${t('offer.removeProduct')} ${i + 1}` },
                onclick: () => {
                  draft.products.splice(i, 1);
                  renderForm();
                },
              },
              '×',
            )
          : null,
        requiredCerts.length
          ? h(
              'p',
              { class: 'hint required-certs', testid: `offer-required-certs-${i}`, dataset: { missing: requiredCerts.filter((c) => !draft.certifications.has(c)).join(',') } },
              t('offer.requiredCerts', { product: categoryName(p.category), certs: requiredCerts.map(certificationName).join(lang() === 'zh' ? '、' : ', ') }),
            )
          : null,
        needs.length
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn btn-link add-needed',
                key: `prod-needs-${i}`,
                testid: `offer-add-needed-${i}`,
                onclick: () => {
                  for (const c of needs) draft.capabilities.add(c);
                  renderForm();
                },
              },
              `+ ${t('offer.addNeeded', { product: categoryName(p.category) })}: ${needs.map(capabilityName).join(lang() === 'zh' ? '、' : ', ')}`,
            )
          : null,
      );
    });
    const input = (k: 'minOrderUnits' | 'pricePerUnit' | 'conversionLeadDays', testid: string, step: string) =>
      h('input', { type: 'number', min: 0, step, inputMode: step === '1' ? 'numeric' : 'decimal', value: draft[k], key: testid, testid, oninput: (e: Event) => (draft[k] = (e.target as HTMLInputElement).value) });
    const date = (k: 'availableFrom' | 'availableTo', testid: string) =>
      h('input', { type: 'date', value: draft[k], key: testid, testid, oninput: (e: Event) => (draft[k] = (e.target as HTMLInputElement).value) });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'offer-submit' }, editing ? t('offer.saveChanges') : t('offer.submit'));

    const form = h(
      'form',
      {
        class: 'form',
        testid: 'offer-form',
        noValidate: true,
        onsubmit: async (ev: SubmitEvent) => {
          ev.preventDefault();
          const body = {
            products: draft.products.map((p) => ({ category: p.category, unitsPerDay: numberValue(p.unitsPerDay) })),
            capabilities: [...draft.capabilities],
            availableFrom: dateToIso(draft.availableFrom, 'start'),
            availableTo: dateToIso(draft.availableTo, 'end'),
            minOrderUnits: numberValue(draft.minOrderUnits),
            pricePerUnit: numberValue(draft.pricePerUnit),
            conversionLeadDays: numberValue(draft.conversionLeadDays),
            certifications: [...draft.certifications],
          };
          const parsed = editing ? OfferPatchSchema.safeParse(body) : OfferInputSchema.safeParse(body);
          if (!parsed.success) {
            errors.show(zodErrors(parsed.error), t('err.fixFields'))?.focus();
            return;
          }
          errors.clear();
          submit.disabled = true;
          submit.textContent = t('common.working');
          try {
            const offer = editing ? await api.updateOffer(draft.editingId!, parsed.data as OfferPatch) : await api.createOffer(parsed.data as OfferInput);
            store.putOffer(offer);
            toast(editing ? t('offer.updated') : t('offer.posted'));
            draft = freshDraft();
            ws.closeForm();
            renderForm();
            void loadMatchesFor('offer', offer.id);
          } catch (e) {
            errors.show(e instanceof ApiError ? serverErrors(e.details) : new Map(), errorText(e))?.focus();
            submit.disabled = false;
            submit.textContent = editing ? t('offer.saveChanges') : t('offer.submit');
          }
        },
      },
      h(
        'fieldset',
        { class: 'group' },
        h('legend', null, t('offer.products')),
        productRows,
        errors.slot('products'),
        h(
          'button',
          {
            type: 'button',
            class: 'btn btn-sm',
            key: 'prod-add',
            testid: 'offer-add-product',
            disabled: draft.products.length >= 20,
            onclick: () => {
              draft.products.push({ category: '', unitsPerDay: '' });
              renderForm();
            },
          },
          `+ ${t('offer.addProduct')}`,
        ),
      ),
      checkboxGroup(
        errors,
        'capabilities',
        t('offer.capabilities'),
        byLabel(
          catalog.capabilities.map((c) => ({ id: c.id, label: c.name[lang()] })),
          (c) => c.label,
        ),
        draft.capabilities,
        { testid: 'offer-capabilities', hint: t('offer.capHint'), onchange: () => renderFormSoon() },
      ),
      h('div', { class: 'row2' }, field(errors, 'availableFrom', t('offer.availableFrom'), date('availableFrom', 'offer-from')), field(errors, 'availableTo', t('offer.availableTo'), date('availableTo', 'offer-to'))),
      h(
        'div',
        { class: 'row3' },
        field(errors, 'minOrderUnits', t('offer.minOrder'), input('minOrderUnits', 'offer-min-order', '1'), { optional: true }),
        field(errors, 'pricePerUnit', t('offer.price'), input('pricePerUnit', 'offer-price', '0.01'), { optional: true }),
        field(errors, 'conversionLeadDays', t('offer.leadDays'), input('conversionLeadDays', 'offer-lead-days', '1'), { optional: true, hint: t('offer.leadHint') }),
      ),
      checkboxGroup(
        errors,
        'certifications',
        t('offer.certs'),
        byLabel(
          catalog.certifications.map((c) => ({ id: c.id, label: c.name[lang()] })),
          (c) => c.label,
        ),
        draft.certifications,
        { testid: 'offer-certs', optional: true },
      ),
      errors.summary,
      h(
        'div',
        { class: 'form-actions' },
        submit,
        editing
          ? h(
              'button',
              {
                type: 'button',
                class: 'btn',
                testid: 'offer-cancel-edit',
                onclick: () => {
                  draft = freshDraft();
                  ws.closeForm();
                  renderForm();
                },
              },
              t('common.cancel'),
            )
          : null,
      ),
    );
    ws.showForm(editing ? t('offer.editTitle') : t('offer.postTitle'), form, editing);
  }

  // capability boxes only change the "add what X needs" shortcuts: redraw after the click settles
  let formTimer: ReturnType<typeof setTimeout> | null = null;
  function renderFormSoon() {
    if (formTimer) clearTimeout(formTimer);
    formTimer = setTimeout(() => {
      formTimer = null;
      if (draft.products.some((p) => p.category)) renderForm();
    }, 0);
  }

  function offerCard(o: Offer): HTMLElement {
    const matches = store.matchesOfOffer(o.id);
    const proposed = o.status === 'open' ? proposedUnitsOf(matches) : 0;
    const committed = o.reservedUnits;
    const title = o.products.map((p) => categoryName(p.category)).join(lang() === 'zh' ? '、' : ', ');
    return h(
      'article',
      { class: `card offer-card status-${o.status}`, testid: 'offer-card', dataset: { offerId: o.id, status: o.status } },
      h(
        'header',
        { class: 'card-head' },
        h('h3', null, title),
        h('span', { class: `badge posting-${o.status}`, testid: 'offer-status' }, t(`offer.status.${o.status}` as Key)),
      ),
      h(
        'dl',
        { class: 'facts' },
        h('div', null, h('dt', null, t('offer.products')), h('dd', null, o.products.map((p) => h('span', { class: 'chip' }, `${categoryName(p.category)} · ${t('common.perDay', { n: fmtUnits(p.unitsPerDay, p.category) })}`)))),
        h('div', null, h('dt', null, t('offer.window')), h('dd', null, `${fmtDate(o.availableFrom)} – ${fmtDate(o.availableTo)}`)),
        o.capabilities.length ? h('div', null, h('dt', null, t('offer.capabilities')), h('dd', null, o.capabilities.map((c) => h('span', { class: 'chip chip-soft' }, capabilityName(c))))) : null,
        o.certifications.length ? h('div', null, h('dt', null, t('offer.certs')), h('dd', null, o.certifications.map((c) => h('span', { class: 'chip chip-cert' }, certificationName(c))))) : null,
        h(
          'div',
          null,
          h('dt', null, t('offer.price')),
          h('dd', null, o.pricePerUnit === null ? '—' : fmtMoney(o.pricePerUnit), o.minOrderUnits > 1 ? ` · ${t('offer.minOrder')} ${fmtInt(o.minOrderUnits)}` : ''),
        ),
      ),
      ...(o.products.length === 1
        ? [
            h(
              'p',
              { class: 'stack-title' },
              `${t('offer.total')} `,
              h('strong', { testid: 'offer-total' }, fmtUnits(o.totalUnits, o.products[0].category)),
              ` · ${t('offer.remaining')} `,
              h('strong', { testid: 'offer-remaining' }, fmtUnits(o.remainingUnits, o.products[0].category)),
            ),
            capacityBar(o.products[0].category, o.totalUnits, committed, proposed, 'offer-capacity'),
          ]
        : lineCapacities(o, matches).flatMap((l) => [
            h(
              'p',
              { class: 'stack-title', testid: 'offer-line-total', dataset: { category: l.category, total: l.total, remaining: l.total - l.committed } },
              `${t('offer.total')} · `,
              t('offer.lineUnits', { product: categoryName(l.category), total: fmtUnits(l.total, l.category), remaining: fmtUnits(l.total - l.committed, l.category) }),
            ),
            capacityBar(l.category, l.total, l.committed, l.proposed, 'offer-line-capacity'),
          ])),
      panelOf(o)?.el,
      o.status === 'open'
        ? h(
            'div',
            { class: 'card-actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-sm',
                testid: 'offer-edit',
                key: `offer-edit:${o.id}`,
                onclick: () => {
                  draft = draftOf(o);
                  ws.openForm();
                  renderForm();
                  ws.formCard.scrollIntoView({ behavior: 'smooth', block: 'start' });
                  ws.formCard.querySelector<HTMLElement>('select, input')?.focus({ preventScroll: true });
                },
              },
              t('common.edit'),
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-sm btn-danger',
                testid: 'offer-withdraw',
                key: `offer-withdraw:${o.id}`,
                onclick: async () => {
                  if (!window.confirm(t('offer.withdrawConfirm'))) return;
                  try {
                    store.putOffer(await api.withdrawOffer(o.id));
                    toast(t('offer.withdrawn'));
                  } catch (e) {
                    toast(errorText(e), 'error');
                  }
                },
              },
              t('common.withdraw'),
            ),
          )
        : null,
      h('h4', { class: 'sub' }, t('offer.proposals')),
      matchList(matches, 'supplier', o.id, renderList, t('offer.noProposals')),
      reasonsOf(o)?.el,
    );
  }

  const transfer = transferPanel({
    kinds: ['offers'],
    exports: ['matches'],
    folded: true,
    onImported: () => void ws.reloadOpen(),
  });

  const certs = certificationsCard();
  void certs.load();

  const ws = postingWorkspace<Offer>(
    {
      aside: h('div', { class: 'side-col' }, certs.el, transfer.el),
      kind: 'offer',
      role: 'supplier',
      live,
      fetch: () => api.listOffers({ limit: 200 }),
      put: (o) => store.putOffer(o),
      all: () => [...store.offers.values()],
      card: offerCard,
      keys: { mine: 'offer.mine', none: 'offer.none' },
    },
    {
      renderForm,
      render() {
        transfer.render();
        certs.render();
        for (const p of panels.values()) void p.draw();
        for (const p of reasonPanels.values()) p.draw();
      },
      onChange(topics) {
        if (topics.has('certifications')) {
          certs.render();
          // a verification lifts the limits for the unverified
          certs.refreshStatusSoon();
        }
        // an offer posted or closed changes how many more the limits allow
        if (topics.has('offers')) certs.refreshStatusSoon();
        if (topics.has('offers') || topics.has('matches')) {
          ws.renderList();
          refreshChangedLines();
        }
      },
      destroy() {
        for (const p of panels.values()) p.dispose();
        panels.clear();
        for (const p of reasonPanels.values()) p.dispose();
        reasonPanels.clear();
      },
    },
  );
  const renderList = () => ws.renderList();
  return ws;
}

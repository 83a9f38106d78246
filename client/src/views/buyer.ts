import { catalog, findCategory } from '../../../models/catalog';
import { PrioritySchema, type Priority } from '../../../models/common.schema';
import { DemandInputSchema, type Demand } from '../../../models/demand.schema';
import { findProvince, provinces } from '../../../models/provinces';
import { api, ApiError } from '../api';
import { stackBar } from '../charts';
import { h, replace } from '../dom';
import { checkboxGroup, dateToIso, daysFromToday, ErrorSlots, errorText, field, numberValue, serverErrors, zodErrors } from '../forms';
import { byLabel, categoryName, certificationName, fmtDate, fmtMoney, fmtRelative, fmtUnits, lang, t, type Key } from '../i18n';
import { isOpenMatch, proposedUnitsOf, store, type Topic } from '../store';
import { matchList, nearMisses } from './matches';
import type { Live } from '../live';
import { toast } from './shell';
import { postingWorkspace } from './posting';
import { transferPanel } from './transfer';
import { loadMatchesFor, pool, type Workspace } from './workspace';

interface Draft {
  category: string;
  quantity: string;
  deadline: string;
  /** '' for the organization's own site, else a province id (its capital). */
  deliverTo: string;
  requiredCertifications: Set<string>;
  maxPricePerUnit: string;
  priority: Priority;
}

function freshDraft(): Draft {
  return { category: '', quantity: '', deadline: daysFromToday(14), deliverTo: '', requiredCertifications: new Set(), maxPricePerUnit: '', priority: 'normal' };
}

/** Where a demand goes: the province of its delivery place and its capital, "Tibet (Lhasa)". */
function deliveryPlace(d: Demand): string {
  const p = findProvince(d.deliveryRegion ?? d.region);
  if (!p) return d.deliveryRegion ?? d.region;
  return lang() === 'zh' ? `${p.name.zh}（${p.capital.zh}）` : `${p.name.en} (${p.capital.en})`;
}

/** The buyer workspace: post demands, follow each one's coverage, accept or decline the proposed suppliers. */
export function buyerView(live: Live): Workspace {
  let draft = freshDraft();

  function deliveryPoint(): { lat: number; lng: number } | undefined {
    if (!draft.deliverTo) return store.user?.organization?.location;
    const p = findProvince(draft.deliverTo);
    return p ? { lat: p.capital.lat, lng: p.capital.lng } : undefined;
  }

  function renderForm() {
    const errors = new ErrorSlots();
    const cat = h(
      'select',
      {
        key: 'demand-category',
        testid: 'demand-category',
        onchange: (e: Event) => {
          draft.category = (e.target as HTMLSelectElement).value;
          renderForm();
        },
      },
      h('option', { value: '' }, '—'),
      byLabel(catalog.categories, (c) => c.name[lang()]).map((c) => h('option', { value: c.id, selected: draft.category === c.id }, c.name[lang()])),
    );
    const category = findCategory(draft.category);
    const quantity = h('input', { type: 'number', min: 1, step: 1, inputMode: 'numeric', value: draft.quantity, key: 'demand-quantity', testid: 'demand-quantity', oninput: (e: Event) => (draft.quantity = (e.target as HTMLInputElement).value) });
    const deadline = h('input', { type: 'date', value: draft.deadline, key: 'demand-deadline', testid: 'demand-deadline', oninput: (e: Event) => (draft.deadline = (e.target as HTMLInputElement).value) });
    const org = store.user?.organization;
    const deliverTo = h(
      'select',
      {
        key: 'demand-deliver-to',
        testid: 'demand-deliver-to',
        onchange: (e: Event) => {
          draft.deliverTo = (e.target as HTMLSelectElement).value;
          renderForm();
        },
      },
      h('option', { value: '' }, `${t('demand.ownSite')}${org ? ` (${findProvince(org.region)?.name[lang()] ?? ''})` : ''}`),
      byLabel(provinces, (p) => p.name[lang()]).map((p) => h('option', { value: p.id, selected: draft.deliverTo === p.id }, `${p.name[lang()]} · ${p.capital[lang()]}`)),
    );
    const place = draft.deliverTo ? findProvince(draft.deliverTo)?.capital[lang()] ?? '' : t('demand.ownSite');
    const maxPrice = h('input', { type: 'number', min: 0, step: '0.01', inputMode: 'decimal', value: draft.maxPricePerUnit, key: 'demand-max-price', testid: 'demand-max-price', oninput: (e: Event) => (draft.maxPricePerUnit = (e.target as HTMLInputElement).value) });
    const priority = h(
      'select',
      { key: 'demand-priority', testid: 'demand-priority', onchange: (e: Event) => (draft.priority = (e.target as HTMLSelectElement).value as Priority) },
      PrioritySchema.options.map((p) => h('option', { value: p, selected: draft.priority === p }, t(`priority.${p}` as Key))),
    );
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'demand-submit' }, t('demand.submit'));
    const form = h(
      'form',
      {
        class: 'form',
        testid: 'demand-form',
        noValidate: true,
        onsubmit: async (ev: SubmitEvent) => {
          ev.preventDefault();
          const body = {
            category: draft.category,
            quantity: numberValue(draft.quantity),
            deadline: dateToIso(draft.deadline, 'end'),
            deliveryLocation: deliveryPoint(),
            requiredCertifications: [...draft.requiredCertifications],
            maxPricePerUnit: numberValue(draft.maxPricePerUnit),
            priority: draft.priority,
          };
          const parsed = DemandInputSchema.safeParse(body);
          if (!parsed.success) {
            errors.show(zodErrors(parsed.error), t('err.fixFields'))?.focus();
            return;
          }
          errors.clear();
          submit.disabled = true;
          submit.textContent = t('common.working');
          try {
            const demand = await api.createDemand(parsed.data);
            store.putDemand(demand);
            toast(t('demand.posted'));
            draft = freshDraft();
            ws.closeForm();
            renderForm();
            void loadMatchesFor('demand', demand.id);
          } catch (e) {
            errors.show(e instanceof ApiError ? serverErrors(e.details) : new Map(), errorText(e))?.focus();
            submit.disabled = false;
            submit.textContent = t('demand.submit');
          }
        },
      },
      field(errors, 'category', t('demand.category'), cat),
      h(
        'div',
        { class: 'row2' },
        field(errors, 'quantity', t('demand.quantity'), quantity, { hint: category ? category.unit[lang()] : undefined }),
        field(errors, 'deadline', t('demand.deadline'), deadline),
      ),
      field(errors, 'deliveryLocation', t('demand.deliverTo'), deliverTo, { hint: t('demand.deliveryPoint', { place }) }),
      h('div', { class: 'row2' }, field(errors, 'priority', t('demand.priority'), priority), field(errors, 'maxPricePerUnit', t('demand.maxPrice'), maxPrice, { optional: true })),
      checkboxGroup(
        errors,
        'requiredCertifications',
        t('demand.requiredCerts'),
        byLabel(
          catalog.certifications.map((c) => ({ id: c.id, label: c.name[lang()] })),
          (c) => c.label,
        ),
        draft.requiredCertifications,
        {
          testid: 'demand-certs',
          optional: true,
          hint: category?.certifications.length ? t('demand.categoryCerts', { certs: category.certifications.map(certificationName).join(lang() === 'zh' ? '、' : ', ') }) : undefined,
        },
      ),
      errors.summary,
      h('div', { class: 'form-actions' }, submit),
    );
    ws.showForm(t('demand.postTitle'), form);
  }

  function demandCard(d: Demand): HTMLElement {
    const matches = store.matchesOfDemand(d.id);
    const confirmed = d.confirmedUnits;
    const delivered = d.deliveredUnits;
    const proposed = d.status === 'open' ? proposedUnitsOf(matches) : 0;
    const short = d.status === 'withdrawn' ? 0 : Math.max(0, d.quantity - confirmed - proposed);
    const live = matches.filter(isOpenMatch);
    const misses = store.nearMisses.get(d.id) ?? [];
    const overdue = new Date(d.deadline).getTime() < Date.now();
    return h(
      'article',
      { class: `card demand-card status-${d.status}`, testid: 'demand-card', dataset: { demandId: d.id, status: d.status } },
      h(
        'header',
        { class: 'card-head' },
        h('h3', null, categoryName(d.category)),
        h('span', { class: `badge priority-${d.priority}` }, t(`priority.${d.priority}` as Key)),
        h('span', { class: `badge posting-${d.status}`, testid: 'demand-status' }, d.status === 'fulfilled' ? t('demand.covered') : t(`offer.status.${d.status}` as Key)),
      ),
      h(
        'p',
        { class: 'demand-line' },
        h('strong', { class: 'qty' }, fmtUnits(d.quantity, d.category)),
        ' · ',
        h('span', { class: { deadline: true, overdue }, testid: 'demand-deadline-text' }, t('demand.deadlineIs', { date: fmtDate(d.deadline) }), ` (${fmtRelative(d.deadline)})`),
      ),
      h('p', { class: 'demand-place', testid: 'demand-place', dataset: { region: d.deliveryRegion ?? d.region } }, t('demand.deliverAt', { place: deliveryPlace(d) })),
      d.requiredCertifications.length || d.maxPricePerUnit !== null
        ? h(
            'p',
            { class: 'chips' },
            d.requiredCertifications.map((c) => h('span', { class: 'chip chip-cert' }, certificationName(c))),
            d.maxPricePerUnit !== null ? h('span', { class: 'chip' }, `${t('demand.maxPrice')}: ${fmtMoney(d.maxPricePerUnit)}`) : null,
          )
        : null,
      stackBar(
        [
          { key: 'delivered', label: t('demand.delivered'), value: Math.min(delivered, confirmed), cls: 'seg-delivered' },
          { key: 'confirmed', label: t('demand.confirmed'), value: Math.max(0, confirmed - delivered), cls: 'seg-confirmed' },
          { key: 'proposed', label: t('demand.proposed'), value: proposed, cls: 'seg-proposed' },
          { key: 'short', label: t('demand.short'), value: short, cls: 'seg-short' },
        ],
        d.quantity,
        'demand-progress',
      ),
      h('h4', { class: 'sub' }, t('demand.suppliers')),
      matchList(matches, 'buyer', d.id, renderList, t('demand.noMatches')),
      // why the rest is short: for a demand with no proposal and for a partly covered one alike
      short > 0 && d.status === 'open' && misses.length
        ? h(
            'div',
            { class: 'near', testid: 'shortage-reasons', dataset: { short } },
            h('h4', { class: 'sub' }, live.length ? t('rs.b.title', { units: fmtUnits(short, d.category) }) : t('demand.nearMisses')),
            nearMisses(misses, d.category),
          )
        : null,
      d.status === 'open'
        ? h(
            'div',
            { class: 'card-actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'btn btn-sm btn-danger',
                testid: 'demand-withdraw',
                key: `demand-withdraw:${d.id}`,
                onclick: async () => {
                  if (!window.confirm(t('demand.withdrawConfirm'))) return;
                  try {
                    store.putDemand(await api.withdrawDemand(d.id));
                    toast(t('demand.withdrawn'));
                  } catch (e) {
                    toast(errorText(e), 'error');
                  }
                },
              },
              t('common.withdraw'),
            ),
          )
        : null,
    );
  }

  // near misses are not pushed: refresh them for open demands that nothing fits, after changes settle
  let missTimer: ReturnType<typeof setTimeout> | null = null;
  function refreshNearMissesSoon() {
    if (missTimer) clearTimeout(missTimer);
    missTimer = setTimeout(() => {
      missTimer = null;
      // a demand with units short (none proposed, or only part): its reasons may have changed
      const uncovered = [...store.demands.values()].filter((d) => d.status === 'open' && d.quantity - d.confirmedUnits - proposedUnitsOf(store.matchesOfDemand(d.id)) > 0);
      void pool(uncovered.slice(0, 20), 3, (d) => loadMatchesFor('demand', d.id));
    }, 1500);
  }

  const transfer = transferPanel({
    kinds: ['demands'],
    exports: ['matches'],
    folded: true,
    onImported: () => void ws.reloadOpen(),
  });

  const ws = postingWorkspace<Demand>(
    {
      aside: transfer.el,
      kind: 'demand',
      role: 'buyer',
      live,
      fetch: () => api.listDemands({ limit: 200 }),
      put: (d) => store.putDemand(d),
      all: () => [...store.demands.values()],
      card: demandCard,
      keys: { mine: 'demand.mine', none: 'demand.none' },
    },
    {
      renderForm,
      render: () => transfer.render(),
      onChange(topics) {
        if (topics.has('demands') || topics.has('matches') || topics.has('nearMisses')) ws.renderList();
        if (ws.loaded && (topics.has('demands') || topics.has('matches'))) refreshNearMissesSoon();
      },
      destroy() {
        if (missTimer) clearTimeout(missTimer);
      },
    },
  );
  const renderList = () => ws.renderList();
  return ws;
}

import { catalog, findCategory } from '../../../models/catalog';
import type { CoverageHistory, CoverageRow, OptimizeSummary } from '../../../models/metrics.schema';
import { provinceGridSize, provinces } from '../../../models/provinces';
import { loadCharts, type CoverageChart, type HistoryChart } from '../charts';
import { api } from '../api';
import { h, replace } from '../dom';
import { errorText } from '../forms';
import { byLabel, categoryName, fmtChange, fmtCompact, fmtDate, fmtInt, fmtRelative, fmtTime, fmtUnits, lang, provinceName, t, unitName, fmtCny, fmtMoney, fmtPct, fmtShortDay, orgName, type Key } from '../i18n';
import type { Live } from '../live';
import { store, type Topic } from '../store';
import { statusBadge } from './matches';
import { toast } from './shell';
import { transferPanel } from './transfer';
import { openSupplierProfile, verificationQueue } from './trust';
import type { Workspace } from './workspace';

type Metric = 'shortageUnits' | 'demandedUnits' | 'supplyUnits';
const metricKey: Record<Metric, Key> = { shortageUnits: 'co.shortage', demandedUnits: 'co.demanded', supplyUnits: 'co.supply' };
const CHART_ROWS = 12;

type Totals = Pick<CoverageRow, 'demandedUnits' | 'proposedUnits' | 'confirmedUnits' | 'deliveredUnits' | 'shortageUnits' | 'supplyUnits'>;

/** A province's short name for a map tile: 湖北 rather than 湖北省. */
function shortProvince(id: string): string {
  const name = provinceName(id);
  return lang() === 'zh' ? name.replace(/(壮族|回族|维吾尔)?自治区$|省$|市$/, '') : name;
}

const STAGES: (keyof Totals)[] = ['demandedUnits', 'proposedUnits', 'confirmedUnits', 'deliveredUnits', 'shortageUnits', 'supplyUnits'];

/** CNY per unit of a product at the catalog's reference price (what makes unlike units comparable). */
function referencePrice(category: string): number {
  return findCategory(category)?.referencePricePerUnit ?? 0;
}

/**
 * Figures across products are never sums of unlike units (pieces with kilograms): they are values in CNY
 * at the catalog's reference prices, and shares of the demanded value (the server's `summary`, same rule).
 */
function valueTotals(list: CoverageRow[]): Totals {
  const v: Totals = { demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0 };
  for (const r of list) for (const k of STAGES) v[k] += r[k] * referencePrice(r.category);
  return v;
}

/** The coordinator board: live feed, coverage, urgent shortages, a province map, filters and the global allocation. */
export function coordinatorView(live: Live): Workspace {
  const el = h('main', { class: 'workspace board', id: 'main', testid: 'coordinator-board' });
  const filterBar = h('section', { class: 'card filter-bar', testid: 'filters' });
  const kpis = h('section', { class: 'kpis', testid: 'kpis', attrs: { 'aria-live': 'polite' } });
  const feedCard = h('section', { class: 'card feed-card', testid: 'feed-card' });
  const chartCard = h('section', { class: 'card chart-card', testid: 'coverage-card' });
  const chartHost = h('div', { class: 'chart', testid: 'coverage-chart', attrs: { role: 'img' } });
  const chartNote = h('p', { class: 'hint' });
  const coverageTable = h('div', { class: 'coverage-table' });
  const mapCard = h('section', { class: 'card map-card', testid: 'map-card' });
  const shortageCard = h('section', { class: 'card shortage-card', testid: 'shortage-card' });
  const optCard = h('section', { class: 'card opt-card', testid: 'optimize-card' });
  const historyCard = h('section', { class: 'card history-card', testid: 'history-card' });
  const historyHost = h('div', { class: 'chart history-chart', testid: 'history-chart', attrs: { role: 'img' } });
  const queue = verificationQueue();
  void queue.load();
  const transfer = transferPanel({ kinds: ['demands', 'offers'], exports: ['matches', 'coverage'], staff: true });
  let history: CoverageHistory | null = null;
  let historyChart: HistoryChart | null = null;
  let historyProduct = '';
  /** The province the history at hand (or on its way) was asked for; null: none yet, or the last ask failed. */
  let historyRegion: string | null = null;
  let historyTimer: ReturnType<typeof setTimeout> | null = null;

  const filter = { region: '', category: '' };
  let metric: Metric = 'shortageUnits';
  let optimizing = false;
  let optResult: OptimizeSummary | null = null;
  let optError = '';
  let chart: CoverageChart | null = null;
  let disposed = false;

  function rows(): CoverageRow[] {
    const all = store.coverage?.rows ?? [];
    return all.filter((r) => (!filter.region || r.region === filter.region) && (!filter.category || r.category === filter.category));
  }

  async function applyFilter() {
    renderFilters();
    renderCoverage();
    renderFeed();
    // the history follows the province filter (asked again) and the product filter (drawn again from the history at
    // hand: it holds every product, so a change of product alone asks nothing)
    renderHistory();
    if (filter.region !== historyRegion) void loadHistory();
    try {
      await live.setFilter({
        regions: filter.region ? [filter.region] : undefined,
        categories: filter.category ? [filter.category] : undefined,
      });
    } catch (e) {
      toast(errorText(e), 'error');
    }
  }

  function renderFilters() {
    const region = h(
      'select',
      {
        id: 'filter-region',
        key: 'filter-region',
        testid: 'filter-region',
        onchange: (e: Event) => {
          filter.region = (e.target as HTMLSelectElement).value;
          void applyFilter();
        },
      },
      h('option', { value: '' }, t('co.allRegions')),
      byLabel(provinces, (p) => p.name[lang()]).map((p) => h('option', { value: p.id, selected: filter.region === p.id }, p.name[lang()])),
    );
    const category = h(
      'select',
      {
        id: 'filter-category',
        key: 'filter-category',
        testid: 'filter-category',
        onchange: (e: Event) => {
          filter.category = (e.target as HTMLSelectElement).value;
          void applyFilter();
        },
      },
      h('option', { value: '' }, t('co.allCategories')),
      byLabel(catalog.categories, (c) => c.name[lang()]).map((c) => h('option', { value: c.id, selected: filter.category === c.id }, c.name[lang()])),
    );
    replace(
      filterBar,
      h('h2', { class: 'visually-hidden' }, t('co.filters')),
      h('div', { class: 'field inline' }, h('label', { htmlFor: 'filter-region' }, t('co.region')), region),
      h('div', { class: 'field inline' }, h('label', { htmlFor: 'filter-category' }, t('co.category')), category),
      filter.region || filter.category
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-sm btn-ghost',
              key: 'filter-clear',
              testid: 'filter-clear',
              onclick: () => {
                filter.region = '';
                filter.category = '';
                void applyFilter();
              },
            },
            t('co.clearFilters'),
          )
        : null,
      h('span', { class: 'spacer' }),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary',
          key: 'optimize',
          testid: 'optimize',
          disabled: optimizing,
          attrs: { 'aria-busy': optimizing ? 'true' : 'false' },
          onclick: () => void runOptimize(),
        },
        optimizing ? t('co.optimizing') : t('co.optimize'),
      ),
    );
  }

  async function runOptimize() {
    optimizing = true;
    optError = '';
    renderFilters();
    renderOptimize();
    try {
      optResult = await api.optimize();
    } catch (e) {
      optError = errorText(e);
    } finally {
      optimizing = false;
      renderFilters();
      renderOptimize();
    }
  }

  function renderOptimize() {
    optCard.hidden = !optResult && !optError && !optimizing;
    if (optCard.hidden) return replace(optCard);
    const r = optResult;
    const item = (label: string, value: string, testid: string) => h('div', { class: 'opt-item', testid }, h('dt', null, label), h('dd', null, value));
    replace(
      optCard,
      h('h2', null, t('co.optTitle')),
      optimizing ? h('p', { class: 'hint', attrs: { role: 'status' } }, t('co.optimizing')) : null,
      optError ? h('p', { class: 'form-error', attrs: { role: 'alert' } }, optError) : null,
      r
        ? h(
            'dl',
            { class: 'opt-grid', testid: 'optimize-summary' },
            item(t('co.optCreated'), fmtInt(r.proposalsCreated), 'opt-created'),
            item(t('co.optWithdrawn'), fmtInt(r.proposalsWithdrawn), 'opt-withdrawn'),
            item(t('co.optKept'), fmtInt(r.proposalsKept), 'opt-kept'),
            item(t('co.optUnits'), fmtCompact(r.unitsAllocated), 'opt-units'),
            item(
              t('co.optWeighted'),
              `${fmtCompact(r.previousWeightedUnits)} → ${fmtCompact(r.weightedUnits)}${r.previousWeightedUnits > 0 ? ` (${fmtChange((r.weightedUnits - r.previousWeightedUnits) / r.previousWeightedUnits)})` : ''}`,
              'opt-weighted',
            ),
            item(t('co.optPostings'), `${fmtInt(r.demands)} / ${fmtInt(r.offers)}`, 'opt-postings'),
            item(t('co.optSolve'), t('co.ms', { n: fmtInt(r.solveMs) }), 'opt-solve'),
          )
        : null,
    );
  }

  function renderKpis() {
    const list = rows();
    const summary = store.coverage?.summary;
    // unfiltered: the server's summary; filtered: the same rule over the rows shown
    const val: Totals =
      summary && !filter.region && !filter.category
        ? {
            demandedUnits: summary.demandedValueCny,
            proposedUnits: summary.proposedValueCny,
            confirmedUnits: summary.confirmedValueCny,
            deliveredUnits: summary.deliveredValueCny,
            shortageUnits: summary.shortageValueCny,
            supplyUnits: summary.supplyValueCny,
          }
        : valueTotals(list);
    const share = (n: number) => (val.demandedUnits > 0 ? n / val.demandedUnits : 0);
    const kpi = (k: keyof Totals, label: Key, cls: string) =>
      h(
        'div',
        { class: `kpi ${cls}`, testid: `kpi-${k.replace('Units', '')}`, dataset: { value: Math.round(val[k]), basis: 'value_cny' } },
        h('span', { class: 'kpi-label' }, t(label)),
        h('strong', { class: 'kpi-value', attrs: { title: fmtMoney(val[k]) } }, fmtCny(val[k])),
      );
    // critical units short, per product in its own unit
    const critical = new Map<string, number>();
    for (const r of list) if (r.criticalShortageUnits > 0) critical.set(r.category, (critical.get(r.category) ?? 0) + r.criticalShortageUnits);
    const worst = [...critical.entries()].sort((a, b) => b[1] * referencePrice(b[0]) - a[1] * referencePrice(a[0])).slice(0, 3);
    replace(
      kpis,
      h(
        'p',
        { class: 'headline', testid: 'headline', dataset: { covered: share(val.proposedUnits + val.confirmedUnits).toFixed(4), confirmed: share(val.confirmedUnits).toFixed(4) } },
        store.coverage
          ? t('co.headlineValue', {
              covered: fmtPct(share(val.proposedUnits + val.confirmedUnits)),
              confirmed: fmtPct(share(val.confirmedUnits)),
              delivered: fmtPct(share(val.deliveredUnits)),
            })
          : t('app.loading'),
        store.coverage ? h('small', { class: 'updated' }, ` · ${t('common.updated', { time: fmtTime(store.coverage.generatedAt) })}`) : null,
      ),
      store.coverage ? h('p', { class: 'hint basis', testid: 'value-basis' }, t('co.valueBasis')) : null,
      worst.length
        ? h(
            'p',
            { class: 'critical-line', testid: 'critical-short' },
            h('strong', null, `${t('co.criticalShort')}: `),
            worst.map(([c, n], i) => h('span', { dataset: { category: c, units: n } }, i ? (lang() === 'zh' ? '、' : ', ') : '', `${categoryName(c)} ${fmtUnits(n, c)}`)),
          )
        : null,
      h(
        'div',
        { class: 'kpi-grid' },
        kpi('demandedUnits', 'co.demanded', 'k-demand'),
        kpi('proposedUnits', 'co.proposed', 'k-proposed'),
        kpi('confirmedUnits', 'co.confirmed', 'k-confirmed'),
        kpi('deliveredUnits', 'co.delivered', 'k-delivered'),
        kpi('shortageUnits', 'co.shortage', 'k-short'),
        kpi('supplyUnits', 'co.supply', 'k-supply'),
      ),
    );
  }

  function renderFeed() {
    const entries = store.feed.slice(0, 60);
    replace(
      feedCard,
      h('h2', null, t('co.feed')),
      entries.length === 0
        ? h('p', { class: 'empty', testid: 'feed-empty' }, t('co.feedEmpty'))
        : h(
            'ol',
            { class: 'feed', testid: 'feed', attrs: { 'aria-live': 'polite', 'aria-relevant': 'additions' } },
            entries.map((e) => {
              const m = e.match;
              return h(
                'li',
                { class: `feed-item status-${m.status}`, testid: 'feed-item', dataset: { matchId: m.id, status: m.status, seq: e.seq, category: m.category, region: m.deliveryRegion ?? m.region } },
                h('div', { class: 'feed-top' }, h('time', { dateTime: e.at }, fmtTime(e.at)), statusBadge(m), h('span', { class: 'feed-cat' }, categoryName(m.category))),
                h(
                  'div',
                  { class: 'feed-body' },
                  h('strong', null, fmtUnits(m.units, m.category)),
                  ' ',
                  h('span', { class: 'orgs', dataset: { i18nExempt: '' } }, `${orgName(m.supplierOrgName, m.supplierOrgNameZh)} → ${orgName(m.buyerOrgName, m.buyerOrgNameZh)}`),
                ),
                h(
                  'div',
                  { class: 'feed-where' },
                  `${provinceName(m.supplierRegion)} → ${provinceName(m.deliveryRegion ?? m.region)} `,
                  h('button', { type: 'button', class: 'btn btn-link btn-sm', testid: 'open-profile', key: `feed-profile:${e.seq}`, onclick: () => void openSupplierProfile(m.supplierOrgId) }, t('profile.open')),
                ),
              );
            }),
          ),
    );
  }

  function renderCoverage() {
    const list = rows();
    const byCat = new Map<string, Totals>();
    for (const r of list) {
      const cur = byCat.get(r.category) ?? { demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0 };
      for (const k of Object.keys(cur) as (keyof Totals)[]) cur[k] += r[k];
      byCat.set(r.category, cur);
    }
    const cats = [...byCat.entries()].filter(([, v]) => v.demandedUnits > 0).sort((a, b) => b[1].demandedUnits - a[1].demandedUnits);
    const top = cats.slice(0, CHART_ROWS);
    chartNote.textContent = cats.length > CHART_ROWS ? t('co.rowsHidden', { n: CHART_ROWS }) : '';
    chartHost.setAttribute('aria-label', t('co.chartAria'));
    chartHost.style.height = `${Math.max(160, top.length * 30 + 60)}px`;
    const labels = top.map(([c]) => categoryName(c));
    const series = [
      { name: t('co.delivered'), color: '#1b5e20', values: top.map(([, v]) => v.deliveredUnits / v.demandedUnits) },
      { name: t('co.confirmed'), color: '#43a047', values: top.map(([, v]) => Math.max(0, v.confirmedUnits - v.deliveredUnits) / v.demandedUnits) },
      { name: t('co.proposed'), color: '#f9a825', values: top.map(([, v]) => v.proposedUnits / v.demandedUnits) },
      { name: t('co.shortage'), color: '#d32f2f', values: top.map(([, v]) => v.shortageUnits / v.demandedUnits) },
    ];
    // each product is a share of its own demand: bars of pieces and kilograms on one axis would compare nothing
    chart?.update(labels, series, fmtPct);
    // the same numbers as text, for screen readers, narrow screens and tests
    replace(
      coverageTable,
      h(
        'table',
        { class: 'table compact stack-on-phone', testid: 'coverage-table' },
        h(
          'thead',
          null,
          h('tr', null, h('th', { scope: 'col' }, t('co.category')), h('th', { scope: 'col' }, t('co.demanded')), h('th', { scope: 'col' }, t('co.proposed')), h('th', { scope: 'col' }, t('co.confirmed')), h('th', { scope: 'col' }, t('co.delivered')), h('th', { scope: 'col' }, t('co.shortage'))),
        ),
        h(
          'tbody',
          null,
          top.map(([c, v]) =>
            h(
              'tr',
              { testid: 'coverage-row', dataset: { category: c, unit: unitName(c), short: v.shortageUnits, demanded: v.demandedUnits, proposed: v.proposedUnits, confirmed: v.confirmedUnits, delivered: v.deliveredUnits } },
              h('th', { scope: 'row' }, categoryName(c), h('span', { class: 'unit-note' }, ` (${unitName(c)})`)),
              // each number is labelled: on a phone the row becomes a small card of label-number pairs
              h('td', { dataset: { label: t('co.demanded') } }, fmtCompact(v.demandedUnits)),
              h('td', { dataset: { label: t('co.proposed') } }, fmtCompact(v.proposedUnits)),
              h('td', { dataset: { label: t('co.confirmed') } }, fmtCompact(v.confirmedUnits)),
              h('td', { dataset: { label: t('co.delivered') } }, fmtCompact(v.deliveredUnits)),
              h('td', { dataset: { label: t('co.shortage') } }, fmtCompact(v.shortageUnits)),
            ),
          ),
        ),
      ),
    );
    renderKpis();
    renderShortages(list);
    renderMap();
  }

  function renderShortages(list: CoverageRow[]) {
    const ranked = list
      .filter((r) => r.shortageUnits > 0 && r.openDemands > 0)
      .sort(
        (a, b) =>
          b.criticalShortageUnits - a.criticalShortageUnits ||
          (a.earliestDeadline ?? '9999').localeCompare(b.earliestDeadline ?? '9999') ||
          b.shortageUnits - a.shortageUnits,
      )
      .slice(0, 12);
    replace(
      shortageCard,
      h('h2', null, t('co.shortages')),
      ranked.length === 0
        ? h('p', { class: 'empty' }, t('co.noShortage'))
        : h(
            'ol',
            { class: 'shortages', testid: 'shortage-list' },
            ranked.map((r) =>
              h(
                'li',
                { class: { shortage: true, critical: r.criticalShortageUnits > 0 }, testid: 'shortage-row', dataset: { category: r.category, region: r.region } },
                h('div', { class: 'sh-main' }, h('strong', null, categoryName(r.category)), h('span', { class: 'sh-region' }, provinceName(r.region))),
                h(
                  'div',
                  { class: 'sh-nums' },
                  h('span', { class: 'sh-short' }, `${t('co.shortage')} ${fmtUnits(r.shortageUnits, r.category)}`),
                  r.criticalShortageUnits > 0 ? h('span', { class: 'badge priority-critical' }, `${t('co.critical')} ${fmtCompact(r.criticalShortageUnits)}`) : null,
                  r.earliestDeadline
                    ? h('span', { class: 'sh-deadline' }, `${t('co.earliest')} ${fmtDate(r.earliestDeadline)} (${fmtRelative(r.earliestDeadline)})`)
                    : null,
                ),
              ),
            ),
          ),
    );
  }

  function renderMap() {
    const all = (store.coverage?.rows ?? []).filter((r) => !filter.category || r.category === filter.category);
    // one product: its own units; all products: CNY at reference prices (never pieces plus kilograms)
    const inUnits = !!filter.category;
    const fmtTile = (n: number) => (inUnits ? fmtCompact(n) : fmtCny(n));
    const fmtFull = (n: number) => (inUnits ? fmtUnits(n, filter.category) : fmtMoney(n));
    const per = new Map<string, Totals>();
    for (const r of all) {
      const cur = per.get(r.region) ?? { demandedUnits: 0, proposedUnits: 0, confirmedUnits: 0, deliveredUnits: 0, shortageUnits: 0, supplyUnits: 0 };
      const price = inUnits ? 1 : referencePrice(r.category);
      for (const k of STAGES) cur[k] += r[k] * price;
      per.set(r.region, cur);
    }
    const max = Math.max(1, ...[...per.values()].map((v) => v[metric]));
    const hue = metric === 'shortageUnits' ? '0, 72%' : metric === 'demandedUnits' ? '28, 85%' : '210, 70%';
    const metricSelect = h(
      'select',
      {
        id: 'map-metric',
        key: 'map-metric',
        testid: 'map-metric',
        onchange: (e: Event) => {
          metric = (e.target as HTMLSelectElement).value as Metric;
          renderMap();
        },
      },
      (Object.keys(metricKey) as Metric[]).map((m) => h('option', { value: m, selected: metric === m }, t(metricKey[m]))),
    );
    const grid = h('div', {
      class: 'tile-map',
      testid: 'province-map',
      style: `--cols:${provinceGridSize.cols};--rows:${provinceGridSize.rows}`,
    });
    // on a phone the tiles become a list, largest first (`order`); wider screens place them as a map
    const rank = new Map([...provinces].sort((a, b) => (per.get(b.id)?.[metric] ?? 0) - (per.get(a.id)?.[metric] ?? 0)).map((p, i) => [p.id, i]));
    for (const p of provinces) {
      const v = per.get(p.id)?.[metric] ?? 0;
      const share = v / max;
      const light = 96 - Math.round(Math.sqrt(share) * 52);
      const selected = filter.region === p.id;
      grid.appendChild(
        h(
          'button',
          {
            type: 'button',
            class: { tile: true, selected, dark: light < 66 },
            key: `tile:${p.id}`,
            testid: 'province-tile',
            dataset: { region: p.id, value: v },
            style: `--row:${p.grid.row + 1};--col:${p.grid.col + 1};order:${rank.get(p.id)};background:hsl(${hue}, ${light}%)`,
            attrs: { 'aria-pressed': selected ? 'true' : 'false', 'aria-label': `${p.name[lang()]}: ${t(metricKey[metric])} ${fmtFull(v)}`, title: `${p.name[lang()]} · ${t(metricKey[metric])} ${fmtFull(v)}` },
            onclick: () => {
              filter.region = selected ? '' : p.id;
              void applyFilter();
            },
          },
          h('span', { class: 'tile-name' }, shortProvince(p.id)),
          h('span', { class: 'tile-value' }, v > 0 ? fmtTile(v) : '·'),
        ),
      );
    }
    replace(
      mapCard,
      h('div', { class: 'card-head' }, h('h2', null, t('co.map')), h('div', { class: 'field inline' }, h('label', { htmlFor: 'map-metric' }, t('co.metric')), metricSelect)),
      h('p', { class: 'hint' }, t('co.mapHint'), ' ', inUnits ? t('co.mapUnits', { unit: unitName(filter.category) }) : t('co.mapValue')),
      grid,
    );
  }

  function renderChartCard() {
    replace(chartCard, h('h2', null, t('co.coverage')), chartHost, chartNote, h('details', { class: 'table-toggle' }, h('summary', { key: 'coverage-table-toggle' }, t('common.show')), coverageTable));
  }

  /** Coverage over the last 30 days, from the Event log; asked again a little after coverage changes. */
  async function loadHistory() {
    const region = filter.region;
    historyRegion = region;
    try {
      const got = await api.coverageHistory({ days: 30, region: region || undefined });
      if (region !== filter.region) return; // the province changed meanwhile: its own answer is on the way
      history = got;
      renderHistory();
    } catch (e) {
      if (region !== filter.region) return;
      historyRegion = null;
      historyCard.dataset.state = 'error';
      replace(historyCard, h('h2', null, t('co.history')), h('p', { class: 'form-error' }, errorText(e)));
    }
  }

  function loadHistorySoon(delay = 3000) {
    if (historyTimer) return;
    historyTimer = setTimeout(() => {
      historyTimer = null;
      void loadHistory();
    }, delay);
  }

  function renderHistory() {
    if (!history) {
      replace(historyCard, h('h2', null, t('co.history')), h('p', { class: 'empty' }, t('app.loading')));
      return;
    }
    // the board's product filter wins; otherwise the product chosen here, or all products in CNY
    const product = filter.category || historyProduct;
    const cat = product ? history.categories.find((c) => c.category === product) : undefined;
    const points = product ? cat?.series ?? [] : history.valueCny;
    const fmt = product ? fmtCompact : fmtCny;
    const last = points[points.length - 1];
    const first = points[0];
    const select = h(
      'select',
      {
        id: 'history-product',
        key: 'history-product',
        testid: 'history-product',
        disabled: !!filter.category,
        onchange: (e: Event) => {
          historyProduct = (e.target as HTMLSelectElement).value;
          renderHistory();
        },
      },
      h('option', { value: '' }, t('co.historyAll')),
      byLabel(history.categories, (c) => categoryName(c.category)).map((c) => h('option', { value: c.category, selected: c.category === product }, categoryName(c.category))),
    );
    historyCard.dataset.product = product;
    historyCard.dataset.days = String(points.length);
    historyCard.dataset.lastShort = String(last?.short ?? 0);
    historyCard.dataset.lastDemanded = String(last?.demanded ?? 0);
    historyHost.setAttribute('aria-label', t('co.historyAria'));
    // days before the log's first demand have no data (null, not drawn), and a share needs demand: the trend
    // compares with the first day that had some, never with 0 of 0
    const since = history.since;
    const known = (p: { date: string }) => since !== null && p.date >= since;
    const from = points.find((p) => known(p) && p.demanded > 0);
    historyCard.dataset.since = since ?? '';
    historyCard.dataset.from = from?.date ?? '';
    const trend =
      from && last && last.demanded > 0
        ? from === last
          ? t('co.historyNoEarlier', { to: fmtPct(last.short / last.demanded) })
          : t(from === first ? 'co.historyTrend' : 'co.historySince', {
              from: fmtPct(from.short / from.demanded),
              to: fmtPct(last.short / last.demanded),
              date: fmtShortDay(from.date),
            })
        : '';
    replace(
      historyCard,
      h('div', { class: 'card-head' }, h('h2', null, t('co.history')), h('div', { class: 'field inline' }, h('label', { htmlFor: 'history-product' }, t('co.category')), select)),
      h('p', { class: 'hint', testid: 'history-basis' }, product ? t('co.mapUnits', { unit: unitName(product) }) : t('co.mapValue'), trend ? ` ${trend}` : ''),
      historyHost,
    );
    historyChart?.update(
      points.map((p) => fmtShortDay(p.date)),
      [
        { name: t('co.demanded'), color: '#455a64', values: points.map((p) => (known(p) ? p.demanded : null)) },
        { name: t('co.proposed'), color: '#f9a825', values: points.map((p) => (known(p) ? p.proposed : null)) },
        { name: t('co.confirmed'), color: '#43a047', values: points.map((p) => (known(p) ? p.confirmed : null)) },
        { name: t('co.delivered'), color: '#1b5e20', values: points.map((p) => (known(p) ? p.delivered : null)) },
        { name: t('co.shortage'), color: '#d32f2f', values: points.map((p) => (known(p) ? p.short : null)) },
      ],
      fmt,
    );
  }

  const render = () => {
    queue.render();
    renderHistory();
    transfer.render();
    renderFilters();
    renderChartCard();
    renderCoverage();
    renderFeed();
    renderOptimize();
  };

  el.append(
    filterBar,
    kpis,
    optCard,
    queue.el,
    h('div', { class: 'board-grid' }, feedCard, chartCard, shortageCard, mapCard),
    historyCard,
    transfer.el,
  );
  render();

  void loadCharts().then(({ createCoverageChart, createHistoryChart }) => {
    if (disposed) return;
    chart = createCoverageChart(chartHost);
    historyChart = createHistoryChart(historyHost);
    renderCoverage();
    renderHistory();
  });
  void loadHistory();

  void api
    .coverage()
    .then((c) => store.putCoverage(c))
    .catch((e) => toast(errorText(e), 'error'));

  return {
    el,
    render,
    onChange(topics: Set<Topic>) {
      if (topics.has('coverage')) {
        renderCoverage();
        loadHistorySoon();
      }
      if (topics.has('feed')) renderFeed();
      if (topics.has('certifications')) queue.render();
    },
    destroy() {
      disposed = true;
      if (historyTimer) clearTimeout(historyTimer);
      chart?.dispose();
      chart = null;
      historyChart?.dispose();
      historyChart = null;
    },
  };
}


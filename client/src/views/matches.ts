import type { Match, NearMiss, ScoreParts } from '../../../models/match.schema';
import { api, ApiError } from '../api';
import { h } from '../dom';
import { errorText } from '../forms';
import { categoryName, fmtDate, fmtDays, fmtKm, fmtMoney, fmtPct, fmtUnits, lang, t, type Key } from '../i18n';
import { isPending, store } from '../store';

const partOrder: (keyof ScoreParts)[] = ['capability', 'coverage', 'distance', 'leadTime', 'price', 'reliability'];

/** The status badge of a match. */
export function statusBadge(m: Pick<Match, 'status'>): HTMLElement {
  return h('span', { class: `badge status-${m.status}`, testid: 'match-status', dataset: { status: m.status } }, t(`match.status.${m.status}` as Key));
}

/** A score in [0,1] as a percentage chip. */
export function scoreChip(score: number): HTMLElement {
  return h('span', { class: 'score', testid: 'match-score', attrs: { title: t('match.scoreLabel') } }, t('match.score', { score: fmtPct(score) }));
}

/**
 * Why a match was proposed, drawn in the UI language from the structured explanation (the English
 * `summary` lines are not shown): one sentence and one bar per scoring part.
 */
export function explanation(m: Match): HTMLElement {
  const e = m.explanation;
  const product = categoryName(m.category);
  const lines: [keyof ScoreParts, string][] = [
    ['capability', e.mode === 'direct' ? t('explain.direct', { product }) : t('explain.conversion', { product, days: fmtDays(e.conversionDays) })],
    ['coverage', t('explain.coverage', { pct: fmtPct(e.coverageShare), units: fmtUnits(m.units, m.category) })],
    ['distance', t('explain.distance', { km: fmtKm(e.distanceKm), days: fmtDays(e.transitDays) })],
    ['leadTime', t('explain.start', { date: fmtDate(e.earliestStart) })],
    [
      'price',
      e.pricePerUnit === null
        ? t('explain.priceUnknown')
        : e.maxPricePerUnit === null
          ? t('explain.priceNoMax', { price: fmtMoney(e.pricePerUnit) })
          : t('explain.price', { price: fmtMoney(e.pricePerUnit), max: fmtMoney(e.maxPricePerUnit) }),
    ],
    ['reliability', t('explain.reliability', { pct: fmtPct(e.reliability) })],
  ];
  const text = new Map(lines);
  return h(
    'ul',
    { class: 'explain', testid: 'explanation', dataset: { mode: e.mode } },
    partOrder.map((part) => {
      const v = Math.max(0, Math.min(1, e.parts[part] ?? 0));
      return h(
        'li',
        { class: 'part', dataset: { part } },
        h('span', { class: 'part-name' }, t(`part.${part}` as Key)),
        h(
          'span',
          { class: 'part-bar', attrs: { role: 'meter', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.round(v * 100), 'aria-label': t(`part.${part}` as Key) } },
          h('span', { class: 'part-fill', style: `width:${(v * 100).toFixed(1)}%` }),
        ),
        h('span', { class: 'part-value' }, fmtPct(v)),
        h('span', { class: 'part-text' }, text.get(part) ?? ''),
      );
    }),
  );
}

type Side = 'supplier' | 'buyer';
type Action = { key: Key; run: () => Promise<Match>; kind?: 'primary' | 'danger'; confirm?: Key; testid: string };

function actionsFor(m: Match, side: Side): Action[] {
  const out: Action[] = [];
  const accept: Action = { key: 'match.accept', kind: 'primary', testid: 'match-accept', run: () => api.accept(m.id) };
  const decline: Action = { key: 'match.decline', testid: 'match-decline', run: () => api.decline(m.id) };
  const cancel: Action = {
    key: 'match.cancel',
    kind: 'danger',
    testid: 'match-cancel',
    confirm: 'match.cancelConfirm',
    run: () => api.transition(m.id, { status: 'cancelled' }),
  };
  const mine = side === 'buyer' ? m.buyerAcceptedAt : m.supplierAcceptedAt;
  if (isPending(m)) {
    if (!mine) out.push(accept);
    out.push(decline);
    return out;
  }
  if (side === 'supplier') {
    if (m.status === 'confirmed') out.push({ key: 'match.startProduction', kind: 'primary', testid: 'match-produce', run: () => api.transition(m.id, { status: 'in_production' }) });
    if (m.status === 'confirmed' || m.status === 'in_production') out.push({ key: 'match.ship', kind: m.status === 'in_production' ? 'primary' : undefined, testid: 'match-ship', run: () => api.transition(m.id, { status: 'shipped' }) });
  } else if (m.status === 'shipped') {
    out.push({ key: 'match.deliver', kind: 'primary', testid: 'match-deliver', run: () => api.transition(m.id, { status: 'delivered' }) });
  }
  if (m.status === 'confirmed' || m.status === 'in_production') out.push(cancel);
  return out;
}

/** UI state that survives redraws: which explanations are open, which match is busy, last error. */
const ui = {
  open: new Set<string>(),
  busy: new Set<string>(),
  errors: new Map<string, string>(),
};

/** One proposal or order as a party sees it, with its explanation and the actions this party may take. */
export function matchCard(m: Match, side: Side, redraw: () => void): HTMLElement {
  const counterparty = side === 'supplier' ? m.buyerOrgName : m.supplierOrgName;
  const mine = side === 'buyer' ? m.buyerAcceptedAt : m.supplierAcceptedAt;
  const busy = ui.busy.has(m.id);
  const actions = actionsFor(m, side);
  const waiting = isPending(m) && mine ? h('span', { class: 'waiting', testid: 'match-waiting' }, t(side === 'buyer' ? 'match.waitingSupplier' : 'match.waitingBuyer')) : null;
  const open = ui.open.has(m.id);
  const details = h(
    'details',
    {
      class: 'why',
      open,
      ontoggle: (ev: Event) => {
        if ((ev.target as HTMLDetailsElement).open) ui.open.add(m.id);
        else ui.open.delete(m.id);
      },
    },
    h('summary', { key: `why:${m.id}` }, t('explain.title')),
    explanation(m),
  );
  const err = ui.errors.get(m.id);
  return h(
    'article',
    { class: `match-card status-${m.status}`, testid: 'match-card', dataset: { matchId: m.id, status: m.status, offerId: m.offerId, demandId: m.demandId } },
    h(
      'div',
      { class: 'match-head' },
      h(
        'div',
        { class: 'match-who' },
        h('span', { class: 'party-label' }, t(side === 'supplier' ? 'match.for' : 'match.from')),
        h('strong', { class: 'party', testid: 'match-party', dataset: { i18nExempt: '' } }, counterparty),
      ),
      h('div', { class: 'match-meta' }, statusBadge(m), scoreChip(m.score)),
    ),
    h('div', { class: 'match-units', testid: 'match-units' }, fmtUnits(m.units, m.category), ' · ', categoryName(m.category)),
    details,
    actions.length || waiting
      ? h(
          'div',
          { class: 'match-actions' },
          waiting,
          actions.map((a) =>
            h(
              'button',
              {
                type: 'button',
                class: `btn btn-sm ${a.kind === 'primary' ? 'btn-primary' : a.kind === 'danger' ? 'btn-danger' : ''}`,
                testid: a.testid,
                key: `${a.testid}:${m.id}`,
                disabled: busy,
                onclick: async () => {
                  if (a.confirm && !window.confirm(t(a.confirm))) return;
                  ui.busy.add(m.id);
                  ui.errors.delete(m.id);
                  redraw();
                  try {
                    store.putMatch(await a.run());
                  } catch (e) {
                    // gone for this party (e.g. replaced by the global allocation): stop showing it
                    if (e instanceof ApiError && e.status === 404) store.removeMatch(m.id);
                    else ui.errors.set(m.id, errorText(e));
                  } finally {
                    ui.busy.delete(m.id);
                    redraw();
                  }
                },
              },
              t(a.key),
            ),
          ),
        )
      : null,
    err ? h('p', { class: 'form-error', attrs: { role: 'alert' } }, err) : null,
  );
}

/** Open matches first (those waiting for this party first of all), then by score. */
export function sortMatches(list: Match[], side: Side): Match[] {
  const rank = (m: Match) => {
    if (isPending(m)) return (side === 'buyer' ? m.buyerAcceptedAt : m.supplierAcceptedAt) ? 1 : 0;
    if (m.status === 'confirmed' || m.status === 'in_production' || m.status === 'shipped') return 2;
    if (m.status === 'delivered') return 3;
    return 4;
  };
  return [...list].sort((a, b) => rank(a) - rank(b) || b.score - a.score || b.createdAt.localeCompare(a.createdAt));
}

const closedOpen = new Set<string>();

/** The matches of one posting; closed ones (declined, withdrawn...) folded away. */
export function matchList(list: Match[], side: Side, ownerId: string, redraw: () => void, emptyText: string): HTMLElement {
  const sorted = sortMatches(list, side);
  const live = sorted.filter((m) => !['declined', 'cancelled', 'expired', 'withdrawn'].includes(m.status));
  const closed = sorted.filter((m) => !live.includes(m));
  const showClosed = closedOpen.has(ownerId);
  return h(
    'div',
    { class: 'match-list', testid: 'match-list' },
    live.length ? live.map((m) => matchCard(m, side, redraw)) : h('p', { class: 'empty', testid: 'no-matches' }, emptyText),
    closed.length
      ? h(
          'button',
          {
            type: 'button',
            class: 'btn btn-link',
            key: `closed:${ownerId}`,
            attrs: { 'aria-expanded': showClosed ? 'true' : 'false' },
            onclick: () => {
              if (showClosed) closedOpen.delete(ownerId);
              else closedOpen.add(ownerId);
              redraw();
            },
          },
          showClosed ? t('match.hideClosed') : t('match.showClosed', { n: closed.length }),
        )
      : null,
    showClosed ? closed.map((m) => matchCard(m, side, redraw)) : null,
  );
}

const nearKeys: Record<string, Key> = {
  category: 'near.category',
  certification: 'near.certification',
  time: 'near.time',
  price: 'near.price',
  min_order: 'near.min_order',
  capacity: 'near.capacity',
  declined: 'near.declined',
};

/** Suppliers that almost fit a demand, with each reason translated by its code (the English text only in English). */
export function nearMisses(list: NearMiss[]): HTMLElement {
  return h(
    'ul',
    { class: 'near-misses', testid: 'near-misses' },
    list.map((n) =>
      h(
        'li',
        { testid: 'near-miss' },
        h('strong', { dataset: { i18nExempt: '' } }, n.supplierOrgName),
        h(
          'ul',
          { class: 'reasons' },
          n.reasons.map((r) =>
            h(
              'li',
              { dataset: { code: r.code } },
              t(nearKeys[r.code] ?? 'near.other'),
              lang() === 'en' && r.message ? h('small', { class: 'detail' }, ` (${r.message})`) : null,
            ),
          ),
        ),
      ),
    ),
  );
}

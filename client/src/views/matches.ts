import type { Match, NearMiss, ScoreParts } from '../../../models/match.schema';
import { api, ApiError } from '../api';
import { h } from '../dom';
import { errorText } from '../forms';
import { categoryName, fmtClock, fmtDate, fmtDayTime, fmtDays, fmtFullTime, fmtKm, fmtMoney, fmtPct, fmtRelative, fmtUnits, lang, orgName, t, type Key } from '../i18n';
import { reasonText } from '../reasons';
import { openSupplierProfile } from './trust';
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

/** The server's notes this client can say in the UI language: pattern -> key and parameters. */
const knownNotes: [RegExp, Key, (m: RegExpMatchArray) => Record<string, string>][] = [
  [/^a more urgent demand \((\w+)\) took these units$/, 'note.moreUrgent', (m) => ({ priority: priorityName(m[1]) })],
  [/^lapsed: the (buyer|supplier) did not answer within (\d+) minutes of the other side's acceptance$/, 'note.lapsedHold', (m) => ({ side: t(`note.side.${m[1]}` as Key), n: m[2] })],
  [/^lapsed: nobody answered within (\d+) hours$/, 'note.lapsedNobody', (m) => ({ n: m[1] })],
  [/^its line has no units left by the date they are due$/, 'note.lineFull', () => ({})],
  [/^the offer changed; please review the new terms$/, 'note.offerChanged', () => ({})],
  [/^the demand changed; please review the new terms$/, 'note.demandChanged', () => ({})],
  [/^the offer has no units left for it$/, 'note.offerNoUnits', () => ({})],
  [/^the demand is covered$/, 'note.demandCovered', () => ({})],
  [/^replaced by the global allocation$/, 'note.globalAllocation', () => ({})],
  [/^re-planned: these units serve the demands better elsewhere \(most urgent first, then cheapest\)$/, 'note.replanned', () => ({})],
  [/^the deadline passed$/, 'note.deadlinePassed', () => ({})],
  [/^the offer expired$/, 'note.offerExpired', () => ({})],
  [/^the offer was withdrawn$/, 'note.offerWithdrawn', () => ({})],
  [/^the demand was withdrawn$/, 'note.demandWithdrawn', () => ({})],
];

function priorityName(p: string): string {
  const key = `priority.${p}` as Key;
  const s = t(key);
  return s === key ? p : s.toLowerCase();
}

/** A server note in the UI language, or null when it is not one this client knows (then shown as sent). */
export function translateNote(note: string): string | null {
  for (const [re, key, params] of knownNotes) {
    const m = note.trim().match(re);
    if (m) return t(key, params(m));
  }
  return null;
}

/** Why a withdrawn or expired match closed: the note of the transition that closed it, in words. */
function closedReason(m: Match): HTMLElement | null {
  if (m.status !== 'withdrawn' && m.status !== 'expired') return null;
  const last = [...m.history].reverse().find((x) => x.status === m.status) ?? m.history[m.history.length - 1];
  const note = last?.note?.trim();
  const known = note ? translateNote(note) : null;
  const text = known ?? note ?? (m.lapsedBy ? t(`match.lapsed.${m.lapsedBy}` as Key) : null);
  if (!text) return null;
  return h(
    'p',
    { class: 'match-reason', testid: 'match-reason', dataset: { note: note ?? '', known: known ? 'true' : 'false' } },
    known || !note ? t('match.reason', { reason: text }) : [t('match.reason', { reason: '' }), h('span', { dataset: { i18nExempt: '' } }, note)],
  );
}

/** A relative time that keeps itself current (see `refreshRelativeTimes`). */
function relTime(iso: string): HTMLElement {
  return h('span', { class: 'rel', dataset: { relAt: iso } }, fmtRelative(iso, store.now()));
}

/** Redraws every relative time on the page ("in 25 minutes") without redrawing the cards. */
export function refreshRelativeTimes(root: ParentNode = document) {
  for (const el of root.querySelectorAll<HTMLElement>('[data-rel-at]')) el.textContent = fmtRelative(el.dataset.relAt!, store.now());
}
setInterval(() => refreshRelativeTimes(), 30_000);

/** When the units are due and, for an open proposal, by when to answer; in the viewer's language and time zone. */
function timeLine(m: Match): HTMLElement | null {
  const due = m.dueAt && !['withdrawn', 'expired', 'declined', 'cancelled', 'delivered'].includes(m.status) ? m.dueAt : null;
  const answer = m.expiresAt && isPending(m) ? m.expiresAt : null;
  if (!due && !answer) return null;
  const now = store.now();
  const sameDay = answer ? new Date(answer).toDateString() === new Date(now).toDateString() : false;
  return h(
    'p',
    { class: 'match-times' },
    due
      ? h(
          'span',
          { class: 'due', testid: 'match-due', dataset: { dueAt: due }, attrs: { title: fmtFullTime(due) } },
          t('match.due', { date: fmtDate(due) }),
          ' (',
          relTime(due),
          ')',
        )
      : null,
    answer
      ? h(
          'span',
          { class: { 'answer-by': true, soon: Date.parse(answer) - now < 3_600_000 }, testid: 'match-answer-by', dataset: { expiresAt: answer }, attrs: { title: fmtFullTime(answer) } },
          t('match.answerBy', { time: sameDay ? fmtClock(answer) : fmtDayTime(answer) }),
          ' (',
          relTime(answer),
          ')',
        )
      : null,
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
  const counterparty = side === 'supplier' ? orgName(m.buyerOrgName, m.buyerOrgNameZh) : orgName(m.supplierOrgName, m.supplierOrgNameZh);
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
        // a buyer can open the profile of any supplier proposed to it
        side === 'buyer'
          ? h(
              'button',
              { type: 'button', class: 'btn btn-link btn-sm', testid: 'open-profile', key: `profile:${m.id}`, onclick: () => void openSupplierProfile(m.supplierOrgId) },
              t('profile.open'),
            )
          : null,
      ),
      h('div', { class: 'match-meta' }, statusBadge(m), scoreChip(m.score)),
    ),
    h('div', { class: 'match-units', testid: 'match-units' }, fmtUnits(m.units, m.category), ' · ', categoryName(m.category)),
    timeLine(m),
    closedReason(m),
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
            testid: 'match-show-closed',
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

/** A buyer sees suppliers anonymously, "Supplier A": that label is UI text; a real name (staff) is data. */
function supplierLabel(name: string, nameZh?: string): HTMLElement {
  const anon = /^Supplier ([A-Z]+)$/.exec(name);
  return anon ? h('strong', null, t('near.anonymous', { letter: anon[1] })) : h('strong', { dataset: { i18nExempt: '' } }, orgName(name, nameZh));
}

/**
 * Suppliers that do not cover (more of) a demand, one entry per supplier, each reason rendered from its code
 * and parameters in the UI language with the catalog's names (src/reasons.ts).
 */
export function nearMisses(list: NearMiss[], category?: string): HTMLElement {
  return h(
    'ul',
    { class: 'near-misses', testid: 'near-misses' },
    list.map((n) =>
      h(
        'li',
        { testid: 'near-miss', dataset: { proposed: n.proposedUnits ?? 0 } },
        supplierLabel(n.supplierOrgName, n.supplierOrgNameZh),
        n.proposedUnits ? h('small', { class: 'detail' }, ` · ${t('demand.proposedHere', { units: fmtUnits(n.proposedUnits, category) })}`) : null,
        h(
          'ul',
          { class: 'reasons' },
          n.reasons.map((r) => h('li', { testid: 'reason', dataset: { code: r.code } }, reasonText(r, 'buyer', category))),
        ),
      ),
    ),
  );
}

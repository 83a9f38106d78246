import { h } from '../dom';
import { lang, orgName, setLang, t, type Key } from '../i18n';
import { store, type ConnState } from '../store';

const connKey: Record<ConnState, Key> = {
  connecting: 'conn.connecting',
  connected: 'conn.connected',
  reconnecting: 'conn.reconnecting',
  offline: 'conn.offline',
};

/** The connection indicator; redraw it when the `conn` topic changes. */
export function connIndicator(): HTMLElement {
  const state = store.conn;
  const label = t(connKey[state]);
  return h(
    'span',
    { class: `conn conn-${state}`, testid: 'conn-status', dataset: { state }, attrs: { role: 'status', 'aria-label': t('conn.label', { state: label }) } },
    h('span', { class: 'dot', attrs: { 'aria-hidden': 'true' } }),
    h('span', { class: 'conn-text' }, label),
  );
}

/** The language toggle: shows the other language's own name. */
export function langToggle(): HTMLElement {
  const next = lang() === 'zh' ? 'en' : 'zh';
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-ghost lang-toggle',
      testid: 'lang-toggle',
      key: 'lang-toggle',
      dataset: { lang: lang(), i18nExempt: '' },
      attrs: { 'aria-label': t('app.switchLanguage'), lang: next === 'zh' ? 'zh-CN' : 'en' },
      onclick: () => setLang(next),
    },
    next === 'zh' ? '中文' : 'English',
  );
}

/** The page header of a signed-in workspace. */
export function header(opts: { title: string; onSignOut: () => void; connSlot: HTMLElement }): HTMLElement {
  const u = store.user;
  return h(
    'header',
    { class: 'topbar' },
    h(
      'div',
      { class: 'brand' },
      h('span', { class: 'logo', dataset: { i18nExempt: '' }, attrs: { 'aria-hidden': 'true' } }, '复'),
      h('div', { class: 'brand-text' }, h('strong', null, t('app.name')), h('span', { class: 'ws-title', testid: 'workspace-title' }, opts.title)),
    ),
    h(
      'div',
      { class: 'who' },
      u?.organization ? h('span', { class: 'org', testid: 'org-name', dataset: { i18nExempt: '' } }, orgName(u.organization.name, u.organization.nameZh)) : null,
      u ? h('span', { class: 'role-badge' }, t(`role.${u.role}` as Key)) : null,
    ),
    h(
      'div',
      { class: 'actions' },
      opts.connSlot,
      langToggle(),
      h('button', { type: 'button', class: 'btn btn-ghost', testid: 'sign-out', key: 'sign-out', onclick: opts.onSignOut }, t('app.signOut')),
    ),
  );
}

/** A transient message at the bottom of the screen. */
export function toast(text: string, kind: 'ok' | 'error' = 'ok') {
  let host = document.getElementById('toasts');
  if (!host) {
    host = h('div', { id: 'toasts', class: 'toasts', attrs: { role: 'status', 'aria-live': 'polite' } });
    document.body.appendChild(host);
  }
  const el = h('div', { class: `toast toast-${kind}`, testid: 'toast' }, text);
  host.appendChild(el);
  setTimeout(() => el.remove(), 4000);
}

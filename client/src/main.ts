/// <reference types="vite/client" />
import './styles.css';
import type { User } from '../../models/auth.schema';
import { api, ApiError, setUnauthorizedHandler } from './api';
import { h, replace } from './dom';
import { locale, onLangChange, t, type Key } from './i18n';
import { Live } from './live';
import { store } from './store';
import { authView, type AuthMode } from './views/auth';
import { buyerView } from './views/buyer';
import { coordinatorView } from './views/coordinator';
import { connIndicator, header } from './views/shell';
import { supplierView } from './views/supplier';
import type { Workspace } from './views/workspace';

const root = document.getElementById('app')!;
const live = new Live(store, () => void sessionEnded());

let workspace: Workspace | null = null;
let auth: ReturnType<typeof authView> | null = null;
let headerSlot: HTMLElement | null = null;
const connSlot = h('span', { class: 'conn-slot' });

document.documentElement.lang = locale();

function workspaceTitle(): Key {
  const role = store.user?.role;
  return role === 'supplier' ? 'ws.supplier' : role === 'buyer' ? 'ws.buyer' : 'ws.coordinator';
}

function setTitle() {
  document.title = store.user ? `${t(workspaceTitle())} · ${t('app.name')}` : `${t('app.name')} · ${t('app.tagline')}`;
}

function pathFor(mode: AuthMode | 'workspace') {
  const want = mode === 'workspace' ? '/' : `/${mode}`;
  if (location.pathname !== want) history.replaceState(null, '', want);
}

function showAuth(mode: AuthMode, notice?: string) {
  workspace?.destroy();
  workspace = null;
  headerSlot = null;
  pathFor(mode);
  auth = authView(mode, { onSignedIn: (u) => signedIn(u), onMode: (m) => pathFor(m), notice });
  replace(root, auth.el);
  setTitle();
}

function drawHeader() {
  if (!headerSlot) return;
  replace(connSlot, connIndicator());
  replace(headerSlot, header({ title: t(workspaceTitle()), onSignOut: () => void signOut(), connSlot }));
}

function signedIn(user: User) {
  auth = null;
  store.reset();
  store.setUser(user);
  pathFor('workspace');
  const role = user.role;
  live.start();
  workspace = role === 'supplier' ? supplierView(live) : role === 'buyer' ? buyerView(live) : coordinatorView(live);
  headerSlot = h('div', { class: 'header-slot' });
  replace(root, h('a', { class: 'skip', href: '#main' }, t('app.skip')), headerSlot, workspace.el);
  drawHeader();
  setTitle();
}

async function signOut() {
  live.stop();
  try {
    await api.logout();
  } catch {
    /* the cookie expires by itself */
  }
  store.reset();
  showAuth('login');
}

let ending = false;
async function sessionEnded() {
  if (ending || !store.user) return;
  ending = true;
  live.stop();
  store.reset();
  showAuth('login', t('err.session'));
  ending = false;
}

setUnauthorizedHandler(() => void sessionEnded());

store.subscribe((topics) => {
  if (topics.has('conn')) replace(connSlot, connIndicator());
  workspace?.onChange(topics);
});

onLangChange(() => {
  setTitle();
  if (auth) auth.render();
  if (workspace) {
    replace(root.querySelector('.skip')!, t('app.skip'));
    drawHeader();
    workspace.render();
  }
});

/**
 * Test hooks: drop the live connection as a network failure would; read the highest applied seq and the
 * settled position; hold back the next live events and deliver them late (a slow path through Redis).
 */
declare global {
  interface Window {
    fuchan?: { dropConnection(): void; seq(): number; settled(): number; holdLive(type: string): void; releaseLive(): number[] };
  }
}
window.fuchan = {
  dropConnection: () => live.dropConnection(),
  seq: () => live.seq,
  settled: () => live.settled,
  holdLive: (type) => live.holdLive(type),
  releaseLive: () => live.releaseLive(),
};

async function boot() {
  replace(root, h('p', { class: 'boot' }, t('app.loading')));
  const mode: AuthMode = location.pathname.startsWith('/register') ? 'register' : 'login';
  try {
    // asks without a 401: an anonymous first page logs no error
    const { user } = await api.session();
    if (user) signedIn(user);
    else showAuth(mode);
  } catch (e) {
    showAuth(mode, e instanceof ApiError && e.status !== 401 ? t('err.network') : undefined);
  }
}

void boot();

import type { Page } from '../api';
import { foldedCard, h, replace } from '../dom';
import { errorText } from '../forms';
import { t, type Key } from '../i18n';
import type { Live } from '../live';
import type { Topic } from '../store';
import { toast } from './shell';
import { loadMatchesFor, pool, type Workspace } from './workspace';

interface Posting {
  id: string;
  status: string;
  createdAt: string;
}

/** What a supplier's offers and a buyer's demands workspace differ in; the rest is `postingWorkspace`. */
export interface PostingSpec<T extends Posting> {
  kind: 'offer' | 'demand';
  /** `supplier` or `buyer`: the class and test id of the workspace. */
  role: 'supplier' | 'buyer';
  live: Live;
  /** The organization's postings, newest first after sorting. */
  fetch(): Promise<Page<T>>;
  put(x: T): void;
  all(): T[];
  card(x: T): HTMLElement;
  /** Dictionary keys: the list title, and the sentence for an empty list. */
  keys: { mine: Key; none: Key };
  /** Extra content above the list (the file import and export panel, folded), optional. */
  aside?: HTMLElement;
}

/** The posting form and list of one role, with the drawing and loading they share. */
export interface PostingWorkspace extends Workspace {
  formCard: HTMLElement;
  listHost: HTMLElement;
  /** Whether the organization's postings have been loaded once. */
  readonly loaded: boolean;
  /** Draws the list again from the store. */
  renderList(): void;
  /**
   * Puts `form` into the form card, folded under `title` unless `forceOpen`, the user opened it, or
   * there is nothing posted yet.
   */
  showForm(title: string, form: HTMLElement, forceOpen?: boolean): void;
  /** Folds the form (after a successful post). */
  closeForm(): void;
  /** Opens the form (e.g. to edit a posting). */
  openForm(): void;
  /** Fetches the organization's postings again and the matches of the open ones (after a file import). */
  reloadOpen(): Promise<void>;
}

/**
 * The skeleton of a posting workspace: a form card and a list of cards, loaded from the API, then the
 * matches of each active posting, asked again once the live link has caught up (the server's lists are the
 * last word on which matches exist).
 */
export function postingWorkspace<T extends Posting>(
  spec: PostingSpec<T>,
  hooks: { renderForm(): void; onChange?(topics: Set<Topic>): void; render?(): void; destroy?(): void },
): PostingWorkspace {
  const el = h('main', { class: `workspace ${spec.role}`, id: 'main', testid: `${spec.role}-workspace` });
  const formCard = h('section', { class: 'card form-card', testid: `${spec.kind}-form-card` });
  const listHost = h('section', { class: 'list-col', testid: `${spec.kind}-list` });
  let loaded = false;
  let formOpen = false;

  function renderList() {
    const items = spec.all().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    replace(
      listHost,
      h('h2', { class: 'col-title' }, t(spec.keys.mine)),
      !loaded ? h('p', { class: 'empty' }, t('app.loading')) : items.length === 0 ? h('p', { class: 'empty', testid: `no-${spec.kind}s` }, t(spec.keys.none)) : items.map(spec.card),
    );
  }

  function showForm(title: string, form: HTMLElement, forceOpen = false) {
    const shown = formOpen || forceOpen || (loaded && spec.all().length === 0);
    replace(
      formCard,
      foldedCard(shown, (open) => (formOpen = open), h('summary', { key: `${spec.kind}-form-summary`, testid: `${spec.kind}-form-toggle` }, h('h2', null, title)), form),
    );
  }

  async function load() {
    try {
      const page = await spec.fetch();
      for (const x of page.items) spec.put(x);
      loaded = true;
      hooks.renderForm();
      renderList();
      const active = page.items.filter((x) => x.status !== 'withdrawn');
      await pool(active, 4, (x) => loadMatchesFor(spec.kind, x.id));
      await spec.live.synced();
      await pool(active, 4, (x) => loadMatchesFor(spec.kind, x.id));
    } catch (e) {
      loaded = true;
      toast(errorText(e), 'error');
      renderList();
    }
  }

  async function reloadOpen() {
    const page = await spec.fetch();
    for (const x of page.items) spec.put(x);
    await pool(
      page.items.filter((x) => x.status === 'open'),
      4,
      (x) => loadMatchesFor(spec.kind, x.id),
    );
  }

  const render = () => {
    hooks.renderForm();
    renderList();
    hooks.render?.();
  };
  // the form is the first column (a sticky card); the file import (folded) heads the list in the second
  el.append(formCard, h('div', { class: 'side-col' }, spec.aside ?? null, listHost));
  // drawn on the next tick: the caller's closures over this object are set by then
  queueMicrotask(() => {
    render();
    void load();
  });
  return {
    el,
    formCard,
    listHost,
    get loaded() {
      return loaded;
    },
    renderList,
    showForm,
    closeForm: () => (formOpen = false),
    openForm: () => (formOpen = true),
    reloadOpen,
    render,
    onChange(topics) {
      if (topics.has('user')) hooks.renderForm();
      hooks.onChange?.(topics);
    },
    destroy() {
      hooks.destroy?.();
    },
  };
}

import { api } from '../api';
import { store, type Topic } from '../store';

/** A role's main screen: drawn once, redrawn whole on a language switch, partly on store changes. */
export interface Workspace {
  el: HTMLElement;
  render(): void;
  onChange(topics: Set<Topic>): void;
  destroy(): void;
}

/** Loads the matches (and, for a demand, the near misses) of one posting into the store. */
export async function loadMatchesFor(kind: 'offer' | 'demand', id: string): Promise<void> {
  const since = Date.now();
  const list = kind === 'offer' ? await api.offerMatches(id) : await api.demandMatches(id);
  store.replaceMatchesOf(kind, id, list.items, since);
  if (kind === 'demand') store.setNearMisses(id, list.nearMisses);
}

/** Runs `fn` with at most `limit` at a time. */
export async function pool<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const x = items[i++];
      try {
        await fn(x);
      } catch {
        /* one posting failing to load must not stop the others */
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

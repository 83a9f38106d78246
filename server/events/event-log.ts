import type { LoggedEvent } from '../../models/events';
import type { LedgerEvent } from '../ledger/state';

export type { EventVisibility } from '../ledger/ledger';

/**
 * The wire form of a logged event. A match event is logged with the one transition it records (the log
 * keeps deltas, not histories), so its `history` on the wire is that transition; the full history is in
 * `GET /api/matches/:id`.
 */
export function toLoggedEvent(doc: Pick<LedgerEvent, 'type' | 'data' | 'seq' | 'at'>): LoggedEvent {
  const data = doc.data as Record<string, unknown>;
  const at = new Date(doc.at).toISOString();
  if (doc.type === 'match:proposed' || doc.type === 'match:updated') {
    const match = data.match as Record<string, unknown>;
    const transition = data.transition;
    const history = (match.history as unknown[] | undefined) ?? (transition ? [transition] : []);
    return { type: doc.type, payload: { match: { ...match, history }, seq: doc.seq, at } } as LoggedEvent;
  }
  return { type: doc.type, payload: { ...data, seq: doc.seq, at } } as LoggedEvent;
}

/** What the realtime layer reads of the log. */
export interface EventLog {
  /** Applied events after `afterSeq` that `filter` admits, at most `limit`; `scannedTo` is where reading stopped. */
  since(afterSeq: number, limit: number, filter?: (e: LedgerEvent) => boolean): Promise<{ events: LedgerEvent[]; scannedTo: number }>;
  /** Called with the events of each batch this process committed, once durable. */
  onCommitted(listener: (events: LedgerEvent[]) => void): void;
  lastSeq(): number;
}

import mongoose from 'mongoose';
import type { Tx } from './ledger';
import { LedgerState } from './state';

/**
 * The ledger's state machine without storage: commands applied to a bare LedgerState with growing sequence
 * numbers at a fixed clock. For measuring and testing planning alone (bench:replan, the re-planning property);
 * the service always commits through the Ledger.
 */
export function bareLedger(now: number) {
  const state = new LedgerState();
  let seq = 0;
  /** Events emitted, by type and the status of the match they carry (`match:updated:withdrawn`). */
  const emitted = new Map<string, number>();
  const tx = (): Tx => ({
    state,
    now,
    newId: () => new mongoose.Types.ObjectId().toHexString(),
    emit: (type, data) => {
      seq += 1;
      const status = (data.match as { status?: unknown } | undefined)?.status;
      const key = `${type}${typeof status === 'string' ? `:${status}` : ''}`;
      emitted.set(key, (emitted.get(key) ?? 0) + 1);
      state.apply({ seq, type, data: JSON.parse(JSON.stringify(data)) });
    },
    replay: () => null,
    remember: () => undefined,
  });
  return { state, tx, emitted };
}

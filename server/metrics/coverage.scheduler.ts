import type { Ledger } from '../ledger/ledger';
import type { CoverageService } from './coverage.service';

/**
 * Announces `coverage:updated` at most once per `intervalMs` after anything changed it, and only while a
 * coordinator is connected to this instance (each instance serves its own coordinators). The announcement
 * is a small event in the log (no payload there: the coverage is derived state), so it takes the next
 * sequence number like any event and resync replays it; the payload is the coverage when it is sent.
 */
export function startCoverageScheduler(
  coverage: CoverageService,
  ledger: Ledger,
  deps: { coordinatorsConnected: () => boolean; intervalMs?: number },
) {
  let sentVersion = -1;
  let due = false;
  let busy = false;
  const tick = () => {
    if (busy || !deps.coordinatorsConnected() || (!due && coverage.version === sentVersion)) return;
    busy = true;
    due = false;
    sentVersion = coverage.version;
    ledger
      .submit((tx) => tx.emit('coverage:updated', {}, { orgIds: [], region: null, categories: [] }))
      .catch(() => (due = true))
      .finally(() => (busy = false));
  };
  const timer = setInterval(tick, deps.intervalMs ?? 1000);
  timer.unref();
  return {
    /** A coordinator connected: it gets a fresh announcement at the next tick. */
    due: () => {
      due = true;
    },
    stop: () => clearInterval(timer),
  };
}

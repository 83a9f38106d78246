import type { Coverage } from '../../models/metrics.schema';
import type { CoverageService } from './coverage.service';

/**
 * Sends `coverage:updated` at most once per `intervalMs` after anything that changed it, and only while a
 * coordinator is connected to this instance (each instance serves its own coordinators).
 */
export function startCoverageScheduler(
  coverage: CoverageService,
  deps: { coordinatorsConnected: () => boolean; send: (c: Coverage) => void; intervalMs?: number },
) {
  let sentVersion = -1;
  const timer = setInterval(() => {
    if (coverage.version === sentVersion || !deps.coordinatorsConnected()) return;
    sentVersion = coverage.version;
    deps.send(coverage.get());
  }, deps.intervalMs ?? 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

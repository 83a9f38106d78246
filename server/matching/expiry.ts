import type { Logger } from '../logger';
import type { MatchingService } from './matching.service';

/** Expires proposals and postings past their dates, once a minute (a command like any other). */
export function startExpirySweeper(matching: MatchingService, deps: { log: Logger; dbUp: () => boolean; intervalMs?: number }) {
  const timer = setInterval(() => {
    if (deps.dbUp()) void matching.expireStale().catch((err) => deps.log.warn('expiry sweep failed', err));
  }, deps.intervalMs ?? 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

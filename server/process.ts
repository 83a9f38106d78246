import type { Logger } from './logger';

/** What the handlers need of the process. */
export interface WatchedProcess {
  on(event: 'unhandledRejection' | 'uncaughtException', listener: (arg: unknown) => void): unknown;
  off(event: 'unhandledRejection' | 'uncaughtException', listener: (arg: unknown) => void): unknown;
  exit(code?: number): void;
}

export interface ProcessHandlerOptions {
  /** The clean stop on an uncaught exception (e.g. Running.stop); the process exits when it settles. */
  stop?: () => Promise<void>;
  /** How long the stop may take before the process exits anyway. */
  stopTimeoutMs?: number;
  /** The process to watch and exit (tests pass a stand-in EventEmitter). */
  proc?: WatchedProcess;
}

/**
 * Last-resort handlers, installed once by main(): an unhandled rejection is logged and the service keeps
 * serving (one request's bug must not stop everyone's); an uncaught exception leaves the process in an
 * unknown state, so it is logged and the service stops cleanly, then exits 1 for the supervisor to restart.
 * Returns a function that removes the handlers.
 */
export function installProcessHandlers(log: Logger, opts: ProcessHandlerOptions = {}): () => void {
  const proc: WatchedProcess = opts.proc ?? (process as unknown as WatchedProcess);
  let stopping = false;
  const onRejection = (reason: unknown) => {
    log.error('Unhandled promise rejection (the service keeps running)', reason instanceof Error ? reason : new Error(String(reason)));
  };
  const onException = (err: unknown) => {
    log.error('Uncaught exception: stopping', err instanceof Error ? err : new Error(String(err)));
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => proc.exit(1), opts.stopTimeoutMs ?? 10_000);
    timer.unref();
    Promise.resolve()
      .then(() => opts.stop?.())
      .catch((e: unknown) => log.error('Stop after an uncaught exception failed', e))
      .finally(() => {
        clearTimeout(timer);
        proc.exit(1);
      });
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}

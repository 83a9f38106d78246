import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(msg: string, extra?: unknown): void;
  info(msg: string, extra?: unknown): void;
  warn(msg: string, extra?: unknown): void;
  error(msg: string, extra?: unknown): void;
}

const pinoOfLogger = new WeakMap<Logger, PinoLogger>();

/**
 * A structured (JSON lines, pino) logger with a level; `silent` writes nothing. `extra` is logged as
 * `err` when it is an Error (with its stack), else under `extra`.
 */
export function createLogger(level: LogLevel = 'info', opts: { destination?: DestinationStream } = {}): Logger {
  const p = pino({ level, base: { service: 'fuchan' }, timestamp: pino.stdTimeFunctions.isoTime }, opts.destination);
  const out = (l: Exclude<LogLevel, 'silent'>) => (msg: string, extra?: unknown) => {
    if (extra === undefined) p[l](msg);
    else if (extra instanceof Error) p[l]({ err: extra }, msg);
    else p[l]({ extra }, msg);
  };
  const log: Logger = { debug: out('debug'), info: out('info'), warn: out('warn'), error: out('error') };
  pinoOfLogger.set(log, p);
  return log;
}

/** The pino logger behind a Logger made by createLogger (for pino-http), if it is one. */
export function pinoOf(log: Logger): PinoLogger | undefined {
  return pinoOfLogger.get(log);
}

const levels = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof levels;

export interface Logger {
  debug(msg: string, extra?: unknown): void;
  info(msg: string, extra?: unknown): void;
  warn(msg: string, extra?: unknown): void;
  error(msg: string, extra?: unknown): void;
}

/** A plain console logger with a level; enough for a service that logs to stdout under a supervisor. */
export function createLogger(level: LogLevel = 'info'): Logger {
  const min = levels[level];
  const out = (l: Exclude<LogLevel, 'silent'>) => (msg: string, extra?: unknown) => {
    if (levels[l] < min) return;
    const line = `${new Date().toISOString()} ${l.toUpperCase()} ${msg}`;
    if (extra === undefined) console[l === 'debug' ? 'log' : l](line);
    else console[l === 'debug' ? 'log' : l](line, extra instanceof Error ? extra.stack : extra);
  };
  return { debug: out('debug'), info: out('info'), warn: out('warn'), error: out('error') };
}

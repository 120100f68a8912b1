/** One-line structured log to stderr. Never pass tokens, credentials or session output here. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, event: string, fields?: Record<string, unknown>): void;
}

export function createLogger(options: { quiet?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const stream = options.stream ?? process.stderr;
  return {
    log(level, event, fields = {}) {
      if (options.quiet && level === 'debug') return;
      const parts = Object.entries(fields)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
      stream.write(`${new Date().toISOString()} ${level.padEnd(5)} ${event}${parts.length ? ` ${parts.join(' ')}` : ''}\n`);
    },
  };
}

export const silentLogger: Logger = { log: () => {} };

import { pino, type Logger } from 'pino';
import { LOG_REDACTION } from './log-redaction.js';
import { bufferedOutput, type BufferedOutput, type BufferedOutputOptions, type LogOutput } from './log-output.js';

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerLogOptions extends BufferedOutputOptions {
  /** Default `info`. */
  level?: LogLevel;
  /** Default `process.stdout`. */
  output?: LogOutput;
  /** Fields on every line after `pid` and `hostname`, e.g. `{ worker: 2 }`. */
  bindings?: Record<string, string | number>;
}

/** A pino logger writing JSON lines through a {@link BufferedOutput}. */
export interface ServerLog extends BufferedOutput {
  readonly logger: Logger;
}

/**
 * The log `serve()` uses unless it is given a logger: pino's JSON lines (epoch `time`, `pid`,
 * `hostname`, `msg`), buffered so a stampede costs one write per few dozen lines, shown within
 * 100 ms, and never stopping the server when stdout breaks (see {@link bufferedOutput}), secret
 * request headers censored (see {@link LOG_REDACTION}). Pass one
 * to `serve({ log })` to log your own lines through it, in order with the server's.
 *
 * @example
 * const log = createServerLog({ level: 'warn' });
 * const running = await serve({ engine, log });
 */
export function createServerLog(options: ServerLogOptions = {}): ServerLog {
  const out = bufferedOutput(options.output ?? process.stdout, options);
  const root = pino({ level: options.level ?? 'info', redact: LOG_REDACTION }, { write: (text: string) => out.write(text) });
  const logger = options.bindings ? root.child(options.bindings) : root;
  // The output itself, so a request line costs no extra call on its way to the buffer.
  return Object.assign(out, { logger });
}

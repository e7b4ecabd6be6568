import { hostname } from 'node:os';
import type { Logger } from 'pino';

/**
 * One structured line per request (written by observeRequests): method, route pattern, status,
 * duration in ms, and the problem code when the answer was an error. Deliberately nothing else:
 * no body, no query, no headers, so hold tokens, signatures and the admin token can never reach
 * the log.
 */
export interface RequestLine {
  method: string;
  route: string;
  status: number;
  ms: number;
  code: string | undefined;
}

/** Writes one request line: at `error` for a 5xx answer, `info` otherwise. */
export type RequestLineWriter = (line: RequestLine, level: 'info' | 'error') => void;

/** Request lines through a pino logger's own methods: for any logger, however configured. */
export function loggerLineWriter(logger: Logger): RequestLineWriter {
  return (line, level) => logger[level](line, 'request');
}

/**
 * Request lines formatted here and written straight to the destination of a pino logger with
 * pino's default settings (epoch `time`, `pid` and `hostname` in the base), as that logger would
 * write them, one write per event-loop turn. `logger.info()` spent about 5 µs per line on
 * serialising, and pino's destination re-measures its whole pending buffer on every write; a
 * request line has five known fields, and a stampede answers dozens per turn. `serve()` uses this
 * for the logger it builds itself; `logger` decides the level. Call `flush()` before closing.
 */
export function destinationLineWriter(
  logger: Logger,
  destination: { write(text: string): unknown },
): RequestLineWriter & { flush(): void } {
  const base = `"pid":${process.pid},"hostname":${JSON.stringify(hostname())},`;
  const levels = { info: logger.levels.values.info ?? 30, error: logger.levels.values.error ?? 50 };
  let pending = '';
  const flush = () => {
    if (pending === '') return;
    const text = pending;
    pending = '';
    destination.write(text);
  };
  const write = (line: RequestLine, level: 'info' | 'error') => {
    if (!logger.isLevelEnabled(level)) return;
    if (pending === '') setImmediate(flush);
    const code = line.code === undefined ? '' : `,"code":${JSON.stringify(line.code)}`;
    pending += `{"level":${levels[level]},"time":${Date.now()},${base}"method":${JSON.stringify(line.method)},"route":${JSON.stringify(line.route)},"status":${line.status},"ms":${line.ms}${code},"msg":"request"}\n`;
  };
  return Object.assign(write, { flush });
}

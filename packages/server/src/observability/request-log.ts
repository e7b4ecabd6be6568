import { pino, type Logger } from 'pino';

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
 * Request lines formatted here and written straight to the output of a pino logger with pino's
 * default formatters (epoch `time`, its `pid`, `hostname` and child bindings), exactly as that
 * logger would write them. `logger.info()` spent about 5 µs per line on serialising; a request
 * line has five known fields. The output is expected to buffer (serve()'s log writes once per few
 * dozen lines); `logger` decides the level.
 */
export function destinationLineWriter(logger: Logger, destination: { write(text: string): unknown }): RequestLineWriter {
  // What pino puts after "time": `,"pid":…,"hostname":…` and any child bindings.
  const bindings = (logger as unknown as Record<symbol, string>)[pino.symbols.chindingsSym] ?? '';
  const levels = { info: logger.levels.values.info ?? 30, error: logger.levels.values.error ?? 50 };
  return (line, level) => {
    if (!logger.isLevelEnabled(level)) return;
    const code = line.code === undefined ? '' : `,"code":${JSON.stringify(line.code)}`;
    destination.write(
      `{"level":${levels[level]},"time":${Date.now()}${bindings},"method":${JSON.stringify(line.method)},"route":${JSON.stringify(line.route)},"status":${line.status},"ms":${line.ms}${code},"msg":"request"}\n`,
    );
  };
}

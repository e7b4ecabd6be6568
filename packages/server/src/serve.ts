import { createServer, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { EventDelivery, EventDeliveryOptions } from '@flashsale/core';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import { createApp, type AppOptions } from './app.js';
import type { AppEnv } from './env.js';
import { clientErrorHandler, requestErrorHandler } from './node-http/client-error.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { destinationLineWriter } from './observability/request-log.js';
import { createServerLog, type ServerLog } from './observability/server-log.js';
import { assertPositiveInteger } from './positive-integer.js';
import { startSweeper, type Sweeper, type SweeperOptions } from './sweeper.js';

export interface ServeOptions extends AppOptions {
  /**
   * The log to write to when no `logger` is given. Default: `createServerLog()`, JSON lines on
   * stdout at level info, closed by `close()`. One passed in is flushed by `close()`, not closed:
   * log your own start-up and shutdown lines through its `logger`, in order with the server's.
   */
  log?: ServerLog;
  /** Port to listen on; 0 picks a free one. Default 8000. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1 (use 0.0.0.0 to accept outside connections). */
  host?: string;
  /** The in-process expiry sweeper (default every 5 s), or `false` when something else runs it. */
  sweeper?: Omit<SweeperOptions, 'onRun' | 'onError'> | false;
  /**
   * Events for the merchant, pushed to these sinks (outbound webhooks, NATS) from this process,
   * beside the sweeper. Several processes on one PostgreSQL or MySQL database share the work.
   * Default: none.
   */
  events?: Omit<EventDeliveryOptions, 'onAttempt' | 'onError'>;
  /** Close gracefully on SIGTERM and SIGINT. Default false (the `flashsale serve` CLI turns it on). */
  handleSignals?: boolean;
  /** On close, how long in-flight requests may take before their connections are cut. Default 10 s. */
  shutdownTimeoutMs?: number;
  /**
   * How long a client may take to send its request headers, counted from the request's first byte
   * however slowly they trickle in (slowloris). Then 408 and the connection is closed. Default 10 s.
   */
  headersTimeoutMs?: number;
  /** How long a client may take to send a whole request, body included. Then 408. Default 30 s. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open between requests. Default 5 s. */
  keepAliveTimeoutMs?: number;
}

export interface RunningServer {
  /** The URL the server listens on, such as http://127.0.0.1:8000. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly app: OpenAPIHono<AppEnv>;
  readonly server: Server;
  readonly metrics: Metrics | undefined;
  readonly sweeper: Sweeper | undefined;
  /** The delivery of merchant events to `events.sinks`, when any are configured. */
  readonly eventDelivery: EventDelivery | undefined;
  /**
   * Graceful stop: stops accepting connections, lets in-flight requests finish (cutting them after
   * `shutdownTimeoutMs`), stops the sweeper and the event delivery, then closes the engine and its store. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Runs the API on Node with @hono/node-server, plus the expiry sweeper. Resolves once listening.
 * When listening fails (EADDRINUSE...), it rejects with the socket error and the engine stays
 * open: it is the caller's to close.
 *
 * @example
 * const metrics = createMetrics({ defaultMetrics: true });
 * const engine = createFlashSale({ store: openSqliteStore({ filename: 'flashsale.db' }), onEvent: metrics.onEvent });
 * // Logs {"url":"http://127.0.0.1:8000","msg":"flashsale listening on http://127.0.0.1:8000",…} on stdout.
 * const running = await serve({ engine, metrics, port: 8000, webhookSecret: process.env.FLASHSALE_WEBHOOK_SECRET });
 * // later
 * await running.close();
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const serverOptions = timeoutOptions(options);
  // A ServerLog's request lines can skip pino's serialiser (observability/request-log.ts).
  const ownLog = options.logger === undefined ? (options.log ?? createServerLog()) : undefined;
  const logger: Logger | undefined = options.logger === false ? undefined : (options.logger ?? ownLog?.logger);
  const metrics = options.metrics === false ? undefined : (options.metrics ?? createMetrics());
  if (ownLog) metrics?.countDroppedLogLines(() => ownLog.droppedLines);
  const requestLines = ownLog && !options.requestLogWriter ? destinationLineWriter(ownLog.logger, ownLog) : undefined;
  const app = createApp({ ...options, logger: logger ?? false, metrics: metrics ?? false, ...(requestLines ? { requestLogWriter: requestLines } : {}) });
  if (!options.webhookSecret) warnUnsignedWebhooks(logger);

  // What createAdaptorServer does, plus an errorHandler for requests the adapter cannot read.
  const server = createServer(serverOptions, getRequestListener(app.fetch, { errorHandler: requestErrorHandler(logger) }));
  server.on('clientError', clientErrorHandler(logger));
  // A client may send its whole request and half-close (FIN) before the answer is ready. Node's
  // default then aborts the request and closes, so an answer that waits for the store (a batch,
  // a PostgreSQL round trip) never reaches it. With half-open allowed, Node still ends the socket
  // once the answer is written, and an unfinished request still gets its 400 from the parser.
  // `httpAllowHalfOpen` is the http.Server field that `socketOnEnd` reads; Node does not document it.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  let draining = false;
  // While draining, answer in-flight requests with Connection: close so keep-alive sockets end.
  server.prependListener('request', (_req, res) => {
    if (draining) res.setHeader('Connection', 'close');
  });
  try {
    await listen(server, options.port ?? 8000, options.host ?? '127.0.0.1');
  } catch (error) {
    if (!options.log) ownLog?.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  const sweeper =
    options.sweeper === false
      ? undefined
      : startSweeper(options.engine, {
          ...options.sweeper,
          onRun: () => metrics?.recordSweep('ok'),
          onError: (err) => {
            metrics?.recordSweep('error');
            logger?.error({ err }, 'sweeper pass failed');
          },
        });

  let eventDelivery: EventDelivery | undefined;
  try {
    if (options.events?.sinks.length) eventDelivery = await startEvents(options, logger, metrics);
  } catch (error) {
    // Not started: stop what is, and leave the engine to the caller as when listening fails.
    await sweeper?.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!options.log) ownLog?.close();
    throw error;
  }

  let closing: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    logger?.info({ signal }, 'shutting down');
    close().catch((err: unknown) => {
      logger?.error({ err }, 'shutdown failed');
      process.exitCode = 1;
    });
  };
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (options.handleSignals) {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
      draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets that finish answering become idle but stay open; close them as they do,
      // without adding work to every request while the server runs.
      server.closeIdleConnections();
      const sweepIdle = setInterval(() => server.closeIdleConnections(), 25);
      const deadline = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? 10_000);
      sweepIdle.unref();
      deadline.unref();
      await stopped;
      clearInterval(sweepIdle);
      clearTimeout(deadline);
      await sweeper?.stop();
      await eventDelivery?.stop();
      await options.engine.close();
      logger?.info('flashsale stopped');
      if (!ownLog) logger?.flush();
      else if (options.log) ownLog.flush();
      else ownLog.close();
    })();
    return closing;
  };
  if (options.handleSignals) {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  logger?.info({ url }, `flashsale listening on ${url}`);
  // After "listening", which scripts wait for and read the server's own URL from.
  if (eventDelivery) for (const sink of options.events!.sinks) logger?.info({ sink: sink.label }, `delivering merchant events to ${sink.label}`);
  return { url, host, port: address.port, app, server, metrics, sweeper, eventDelivery, close };
}

/**
 * Starts the delivery of merchant events. A receiver's failures are counted and logged at debug
 * (a dead receiver would otherwise fill the log); an event given up is logged as an error.
 */
async function startEvents(options: ServeOptions, logger: Logger | undefined, metrics: Metrics | undefined): Promise<EventDelivery> {
  const delivery = await options.engine.startEventDelivery({
    ...options.events!,
    onAttempt: (report) => {
      metrics?.recordEventDelivery(report);
      if (report.outcome === 'dead') logger?.error({ sink: report.sink.label, event: report.event.id, position: report.event.position, attempts: report.attempt, reason: report.error }, 'merchant event given up: past its maximum age');
      else if (report.outcome === 'retry') logger?.debug({ sink: report.sink.label, event: report.event.id, attempt: report.attempt, reason: report.error }, 'merchant event delivery failed; will retry');
    },
    onError: (err, sink) => logger?.error({ err, sink: sink.label }, 'merchant event delivery: the store failed'),
  });
  metrics?.watchEventDelivery(delivery);
  return delivery;
}

/**
 * Node's own defaults suit no flash sale: 60 s for headers and 300 s for a request, checked only
 * every 30 s, let a few hundred slow sockets hold the server's connections for minutes. The
 * checking interval follows the shortest timeout so a timeout is enforced close to its value.
 */
function timeoutOptions(options: ServeOptions): ServerOptions {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  for (const [name, value] of Object.entries({ headersTimeoutMs: headersTimeout, requestTimeoutMs: requestTimeout, keepAliveTimeoutMs: keepAliveTimeout })) {
    assertPositiveInteger(name, value);
  }
  if (headersTimeout > requestTimeout) {
    throw new RangeError(`headersTimeoutMs (${headersTimeout}) must not exceed requestTimeoutMs (${requestTimeout})`);
  }
  const connectionsCheckingInterval = Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 4)));
  return { headersTimeout, requestTimeout, keepAliveTimeout, connectionsCheckingInterval };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function warnUnsignedWebhooks(logger: Logger | undefined): void {
  const message =
    'WEBHOOKS ARE UNAUTHENTICATED: no webhook secret is configured, so anyone who can reach ' +
    'POST /api/payments/webhook can mark orders paid. Set a Standard Webhooks secret (whsec_...) in production.';
  if (logger) logger.warn(message);
  else process.emitWarning(message, { code: 'FLASHSALE_UNSIGNED_WEBHOOKS' });
}

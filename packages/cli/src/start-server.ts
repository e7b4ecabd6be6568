import { createFlashSale, type Product } from '@flashsale/core';
import { createMetrics, serve, type LimiterFactory, type RunningServer, type ServerLog } from '@flashsale/server';
import { eventSinksFrom } from './event-sinks.js';
import { loadBuyerToken } from './buyer-token.js';
import { CliError } from './cli-error.js';
import type { ServeFlags } from './serve-flags.js';
import { seedDemoProduct } from './demo-product.js';
import { productLine } from './wire.js';
import type { DbTarget } from './open-store.js';
import { parseRateLimitSpec } from './rate-limit-spec.js';
import { limiterFor, type LimiterStore } from './limiter-store.js';
import { parseTrustProxySpec } from './trust-proxy-spec.js';
import { openTarget } from './with-sale.js';

interface StartOptions {
  /** Create the demo product on an empty database first (never in a cluster worker: the primary did). */
  seed: boolean;
  /** Where rate limits are counted. */
  limiterStore: LimiterStore;
  /** The log the server writes to, and the caller's own lines too. */
  log: ServerLog;
}

interface StartedServer {
  running: RunningServer;
  /** The demo product, when this call created it (and logged so). */
  seeded: Product | undefined;
}

/**
 * Opens the store and runs the HTTP API with the sweeper: what one `flashsale serve` process,
 * or one worker of `--workers N`, does. On failure the store is closed again.
 */
export async function startServer(flags: ServeFlags, target: DbTarget, options: StartOptions): Promise<StartedServer> {
  const store = await openTarget(target, {
    ...(flags.poolSize === undefined ? {} : { poolSize: flags.poolSize }),
    // FULL unless asked otherwise: an answered 201 must survive a power cut (docs/reliability.md).
    ...(target.kind === 'sqlite' ? { synchronous: flags.synchronous ?? 'FULL' } : {}),
  });
  const metrics = createMetrics({ defaultMetrics: true });
  const engine = createFlashSale({
    store,
    holdTtlMs: flags.holdTtl,
    ...(flags.holdMaxLifetime === undefined ? {} : { holdMaxLifetimeMs: flags.holdMaxLifetime }),
    paymentTtlMs: flags.paymentTtl,
    idempotencyTtlMs: flags.idempotencyTtl,
    eventRetentionMs: flags.eventRetention,
    maxHoldQty: flags.maxHoldQty,
    onEvent: metrics.onEvent,
  });
  try {
    let seeded: Product | undefined;
    if (options.seed) {
      const { created, product } = await seedDemoProduct(engine);
      if (created) {
        seeded = product;
        options.log.logger.info(`seeded the demo ${productLine(product)}`);
      }
    }
    const buyerToken = await loadBuyerToken(flags);
    let createLimiter: LimiterFactory | undefined;
    if (flags.rateLimit !== false) {
      try {
        createLimiter = await limiterFor(options.limiterStore, store);
      } catch (error) {
        throw new CliError(`cannot prepare the shared rate-limit counters: ${(error as Error).message}`);
      }
    }
    const running = await serve({
      engine,
      metrics,
      port: flags.port,
      host: flags.host,
      sweeper: { intervalMs: flags.sweepInterval },
      events: { sinks: eventSinksFrom(flags), maxAgeMs: flags.eventsMaxAge, attemptTimeoutMs: flags.eventsTimeout, retryDelayMs: flags.eventsRetryDelay, batchesInFlight: flags.eventsBatches },
      rateLimit:
        flags.rateLimit === false
          ? false
          : {
              ...(flags.rateLimit === undefined ? {} : { limits: parseRateLimitSpec(flags.rateLimit) }),
              ...(createLimiter ? { createLimiter } : {}),
            },
      trustProxy: typeof flags.trustProxy === 'string' ? parseTrustProxySpec(flags.trustProxy) : false,
      requestLog: flags.requestLog,
      shutdownTimeoutMs: flags.shutdownTimeout,
      handleSignals: false,
      log: options.log,
      ...(flags.webhookSecret ? { webhookSecret: flags.webhookSecret } : {}),
      ...(flags.adminToken ? { adminToken: flags.adminToken } : {}),
      ...(flags.metricsToken ? { metricsToken: flags.metricsToken } : {}),
      ...(buyerToken ? { buyerToken } : {}),
    });
    return { running, seeded };
  } catch (error) {
    await engine.close().catch(() => {});
    throw startError(error, flags);
  }
}

function startError(error: unknown, flags: ServeFlags): Error {
  const code = (error as { code?: unknown }).code;
  const where = `${flags.host}:${flags.port}`;
  if (code === 'EADDRINUSE') return new CliError(`cannot listen on ${where}: the port is in use (another flashsale serve?); pick one with --port, or --port 0 for any free port`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new CliError(`cannot listen on ${where}: no such local address; check --host`);
  if (code === 'EACCES') return new CliError(`cannot listen on ${where}: permission denied (ports below 1024 need privileges)`);
  return error instanceof Error ? error : new Error(String(error));
}

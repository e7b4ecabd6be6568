import { createFlashSale, type EventSink, type FlashSaleStore } from '@flashsale/core';
import { createMetrics, serve, webhookSink } from '@flashsale/server';
import type { ServerLauncher } from '../../src/index.js';

/** Makes the sink a launch's `events` receiver is pushed to: the real webhook sink unless a test breaks it. */
export type SinkFactory = (events: { url: string; secret: string }) => EventSink;

/**
 * A launcher that runs @flashsale/server in the test's own process, on the store `openStore`
 * opens from the launch's `--db` value, so a test can hand the server any store (and any event
 * sink). Rate limits and logs are off, as `flashsale serve` has them for the bench. (The CLI's
 * tests run the bench through `flashsale serve` in its own process.)
 */
export function inProcessLauncher(openStore: (db: string) => FlashSaleStore, sinkFor: SinkFactory = webhookSink): ServerLauncher {
  return async (options) => {
    const metrics = createMetrics();
    const engine = createFlashSale({ store: openStore(options.db), holdTtlMs: options.holdTtlMs, holdMaxLifetimeMs: options.holdMaxLifetimeMs, paymentTtlMs: options.paymentTtlMs, onEvent: metrics.onEvent });
    const running = await serve({
      engine,
      metrics,
      port: 0,
      logger: false,
      rateLimit: false,
      adminToken: options.adminToken,
      sweeper: false,
      docs: false,
      ...(options.events ? { events: { sinks: [sinkFor(options.events)] } } : {}),
    });
    return { url: running.url, close: () => running.close() };
  };
}

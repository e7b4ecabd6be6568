import type { EventListener, FlashSaleEvent } from '@flashsale/core';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** The Prometheus metrics of one server: HTTP traffic, and the engine's events. */
export interface Metrics {
  readonly registry: Registry;
  /** Pass to `createFlashSale({ onEvent })` so holds, refusals and releases are counted. */
  readonly onEvent: EventListener;
  /** Counts one answered request. `route` must be a pattern, never a raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Counts one sweeper pass. */
  recordSweep(outcome: 'ok' | 'error'): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** A registry to add to. Default: a new one, so several apps in one process do not clash. */
  registry?: Registry;
  /** Metric name prefix. Default `flashsale_`. */
  prefix?: string;
  /** Also collect prom-client's default process metrics (CPU, memory, event loop). Default false. */
  defaultMetrics?: boolean;
}

/**
 * Creates the metrics and the engine listener that feeds them.
 *
 * @example
 * const metrics = createMetrics();
 * const engine = createFlashSale({ store, onEvent: metrics.onEvent });
 * const app = createApp({ engine, metrics });
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const p = options.prefix ?? 'flashsale_';
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: p });
  const registers = [registry];

  const requests = new Counter({
    name: `${p}http_requests_total`,
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: `${p}http_request_duration_seconds`,
    help: 'Time to answer an HTTP request, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const holdsCreated = new Counter({ name: `${p}holds_created_total`, help: 'Holds created.', registers });
  const unitsHeld = new Counter({ name: `${p}held_units_total`, help: 'Units of stock taken by new holds.', registers });
  const holdsRejected = new Counter({
    name: `${p}holds_rejected_total`,
    help: 'Hold requests refused, by reason (insufficient_stock, product_not_found) and source (store, sold_out_cache).',
    labelNames: ['reason', 'source'] as const,
    registers,
  });
  const released = new Counter({
    name: `${p}stock_released_units_total`,
    help: 'Units of stock given back, by cause (hold_expired, order_expired, payment_failed).',
    labelNames: ['cause'] as const,
    registers,
  });
  const reserveBatches = new Counter({
    name: `${p}reserve_batches_total`,
    help: 'Store calls that reserved holds: one database transaction each, however many requests it carried.',
    registers,
  });
  const reserveBatchRequests = new Counter({
    name: `${p}reserve_batch_requests_total`,
    help: 'Hold requests carried by those store calls (the rest were answered without the database).',
    registers,
  });
  const releasePasses = new Counter({ name: `${p}release_passes_total`, help: 'Expiry passes completed by the engine.', registers });
  const sweeps = new Counter({
    name: `${p}sweeper_runs_total`,
    help: 'Runs of the in-process sweeper, by outcome (ok, error).',
    labelNames: ['outcome'] as const,
    registers,
  });

  // Label lookups hash their values on every call; the hot path reuses one child per label set.
  const children = new Map<string, { count: ReturnType<typeof requests.labels>; latency: ReturnType<typeof latency.labels> }>();

  const onEvent = (event: FlashSaleEvent): void => {
    switch (event.type) {
      case 'hold_created':
        holdsCreated.inc();
        unitsHeld.inc(event.qty);
        return;
      case 'hold_rejected':
        holdsRejected.inc({ reason: event.reason, source: event.soldOutCache ? 'sold_out_cache' : 'store' });
        return;
      case 'reserve_batch':
        reserveBatches.inc();
        reserveBatchRequests.inc(event.size);
        return;
      case 'stock_released':
        released.inc({ cause: event.cause }, event.units);
        return;
      case 'release_pass':
        releasePasses.inc();
        return;
    }
  };

  return {
    registry,
    onEvent,
    observeRequest(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (!child) {
        const labels = { method, route, status: String(status) };
        child = { count: requests.labels(labels), latency: latency.labels(labels) };
        children.set(key, child);
      }
      child.count.inc();
      child.latency.observe(seconds);
    },
    recordSweep(outcome) {
      sweeps.inc({ outcome });
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

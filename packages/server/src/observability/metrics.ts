import type { DeliveryAttemptReport, EventDelivery, EventListener, FlashSaleEvent } from '@flashsale/core';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { FastHistogram, type HistogramSeries } from './fast-histogram.js';

/** The Prometheus metrics of one server: HTTP traffic, and the engine's events. */
export interface Metrics {
  readonly registry: Registry;
  /** Pass to `createFlashSale({ onEvent })` so holds, refusals and releases are counted. */
  readonly onEvent: EventListener;
  /** Counts one answered request. `route` must be a pattern, never a raw path. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Counts one sweeper pass. */
  recordSweep(outcome: 'ok' | 'error'): void;
  /** Adds a log's count of dropped lines (read when scraped) to `log_lines_dropped_total`. */
  countDroppedLogLines(read: () => number): void;
  /** Counts one attempt to deliver a merchant event (pass as `startEventDelivery({ onAttempt })`). */
  recordEventDelivery(report: DeliveryAttemptReport): void;
  /** Reads the sinks' backlogs (and the events appended) from the store when scraped. */
  watchEventDelivery(delivery: Pick<EventDelivery, 'backlog'>): void;
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

  /*
   * Every request and every hold event lands here, so the hot path only adds to plain numbers:
   * prom-client's inc() and observe() hash their labels on each call, a few microseconds per
   * request of a stampede. The prom-client counters read those numbers when scraped (collect).
   */
  const latency = new FastHistogram({
    name: `${p}http_request_duration_seconds`,
    help: 'Time to answer an HTTP request, by method, route pattern and status.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const series = new Map<string, { labels: { method: string; route: string; status: string }; latency: HistogramSeries }>();
  counterOf(`${p}http_requests_total`, 'HTTP requests answered, by method, route pattern and status.', ['method', 'route', 'status'], registers, (set) => {
    for (const { labels, latency: observed } of series.values()) set(labels, observed.count);
  });

  const counts = {
    holdsCreated: 0,
    unitsHeld: 0,
    reserveBatches: 0,
    reserveBatchRequests: 0,
    releasePasses: 0,
    /** Refusals by reason. */
    rejected: new Map<string, number>(),
    released: new Map<string, number>(),
    sweeps: new Map<string, number>(),
  };
  const plain = (name: string, help: string, read: () => number) => counterOf(`${p}${name}`, help, [], registers, (set) => set({}, read()));
  plain('holds_created_total', 'Holds created.', () => counts.holdsCreated);
  plain('held_units_total', 'Units of stock taken by new holds.', () => counts.unitsHeld);
  counterOf(
    `${p}holds_rejected_total`,
    'Hold requests refused, by reason (insufficient_stock, product_not_found, sale_not_started, sale_ended, buyer_required, buyer_limit_exceeded).',
    ['reason'],
    registers,
    (set) => {
      for (const [reason, count] of counts.rejected) set({ reason }, count);
    },
  );
  counterOf(`${p}stock_released_units_total`, 'Units of stock given back, by cause (hold_expired, order_expired, payment_failed, released).', ['cause'], registers, (set) => {
    for (const [cause, units] of counts.released) set({ cause }, units);
  });
  plain('reserve_batches_total', 'Store calls that reserved holds: one database transaction each, however many requests it carried.', () => counts.reserveBatches);
  plain('reserve_batch_requests_total', 'Hold requests carried by those store calls (the rest were answered without the database).', () => counts.reserveBatchRequests);
  plain('release_passes_total', 'Expiry passes completed by the engine.', () => counts.releasePasses);
  const droppedLogLines: (() => number)[] = [];
  plain('log_lines_dropped_total', 'Log lines given up because the log output failed (its reader closed the pipe) or fell far behind.', () =>
    droppedLogLines.reduce((sum, read) => sum + read(), 0),
  );
  counterOf(`${p}sweeper_runs_total`, 'Runs of the in-process sweeper, by outcome (ok, error).', ['outcome'], registers, (set) => {
    for (const [outcome, runs] of counts.sweeps) set({ outcome }, runs);
  });

  // Events for the merchant, pushed: attempts counted here, the backlog read from the store.
  const deliveries = new Map<string, { labels: { sink: string; outcome: string }; count: number }>();
  counterOf(`${p}event_deliveries_total`, 'Attempts to deliver a merchant event, by sink and outcome (delivered, retry, dead).', ['sink', 'outcome'], registers, (set) => {
    for (const { labels, count } of deliveries.values()) set(labels, count);
  });
  const deliveryLatency = new FastHistogram({
    name: `${p}event_delivery_latency_seconds`,
    help: "Time from a merchant event's commit to its delivery, by sink.",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600],
    registers,
  });
  const latencyBySink = new Map<string, HistogramSeries>();
  const watched: Pick<EventDelivery, 'backlog'>[] = [];
  /** One backlog read per scrape, shared by the three metrics that show it. */
  let backlogRead: { at: number; value: Promise<Awaited<ReturnType<EventDelivery['backlog']>>> } | undefined;
  const readBacklogs = async () => {
    if (!backlogRead || Date.now() - backlogRead.at > 1_000) backlogRead = { at: Date.now(), value: Promise.all(watched.map((d) => d.backlog())).then((all) => all.flat(), () => []) };
    // A store that cannot answer leaves these metrics out of the scrape; /readyz reports it.
    return backlogRead.value;
  };
  new Counter({
    name: `${p}events_appended_total`,
    help: 'Merchant events appended to the outbox since the database was created, by every process (the newest position).',
    registers,
    async collect() {
      if (watched.length === 0) return;
      this.reset();
      const backlogs = await readBacklogs();
      this.inc(Math.max(0, ...backlogs.map((b) => b.lastPosition)));
    },
  });
  new Gauge({
    name: `${p}events_undelivered`,
    help: 'Merchant events queued for a sink and not yet delivered or dead, by sink.',
    labelNames: ['sink'],
    registers,
    async collect() {
      this.reset();
      for (const backlog of await readBacklogs()) this.set({ sink: backlog.sink.label }, backlog.pending);
    },
  });
  new Gauge({
    name: `${p}events_oldest_undelivered_age_seconds`,
    help: 'Age of the oldest merchant event a sink has not received yet (0 when it has them all), by sink.',
    labelNames: ['sink'],
    registers,
    async collect() {
      this.reset();
      const now = Date.now();
      for (const backlog of await readBacklogs()) {
        this.set({ sink: backlog.sink.label }, backlog.oldestUndeliveredAt === undefined ? 0 : Math.max(0, now - backlog.oldestUndeliveredAt) / 1000);
      }
    },
  });

  const onEvent = (event: FlashSaleEvent): void => {
    switch (event.type) {
      case 'hold_created':
        counts.holdsCreated += 1;
        counts.unitsHeld += event.qty;
        return;
      case 'hold_rejected':
        counts.rejected.set(event.reason, (counts.rejected.get(event.reason) ?? 0) + 1);
        return;
      case 'reserve_batch':
        counts.reserveBatches += 1;
        counts.reserveBatchRequests += event.size;
        return;
      case 'stock_released':
        counts.released.set(event.cause, (counts.released.get(event.cause) ?? 0) + event.units);
        return;
      case 'release_pass':
        counts.releasePasses += 1;
        return;
    }
  };

  return {
    registry,
    onEvent,
    observeRequest(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let entry = series.get(key);
      if (!entry) {
        const labels = { method, route, status: String(status) };
        entry = { labels, latency: latency.series(labels) };
        series.set(key, entry);
      }
      entry.latency.observe(seconds);
    },
    recordSweep(outcome) {
      counts.sweeps.set(outcome, (counts.sweeps.get(outcome) ?? 0) + 1);
    },
    countDroppedLogLines(read) {
      droppedLogLines.push(read);
    },
    recordEventDelivery({ sink, outcome, latencyMs }) {
      const key = `${sink.label} ${outcome}`;
      let entry = deliveries.get(key);
      if (!entry) deliveries.set(key, (entry = { labels: { sink: sink.label, outcome }, count: 0 }));
      entry.count += 1;
      if (latencyMs !== undefined) {
        let series = latencyBySink.get(sink.label);
        if (!series) latencyBySink.set(sink.label, (series = deliveryLatency.series({ sink: sink.label })));
        series.observe(latencyMs / 1000);
      }
    },
    watchEventDelivery(delivery) {
      watched.push(delivery);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** A prom-client counter whose values are read from this module's plain numbers when scraped. */
function counterOf<L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
  registers: Registry[],
  read: (set: (labels: Partial<Record<L, string>>, value: number) => void) => void,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      read((labels, value) => this.inc(labels as Partial<Record<L, string | number>>, value));
    },
  });
}

import type { CheckoutPathReport } from '../engine/checkout-paths.js';
import type { Strategy } from '../options.js';
import type { Histogram, LatencySummary } from './stats.js';

/** One audited check: `ok` false names what broke in `detail`. */
export interface Invariant {
  name: string;
  ok: boolean;
  detail: string;
}

/** Requests, latency and statuses of one endpoint. */
export interface EndpointReport {
  requests: number;
  latency_ms: LatencySummary;
  status_counts: Record<string, number>;
}

/** One engine-mode strategy's run. */
export interface StrategyReport {
  strategy: Strategy;
  /** The engine's own path (coalesced) or a bench-local comparison baseline. */
  kind: 'engine' | 'comparison baseline';
  holds_per_sec: number;
  requests: number;
  granted: number;
  refused: number;
  units_granted: number;
  /** Units granted beyond the stock. Must be 0. */
  oversell: number;
  duration_ms: number;
  latency_ms: LatencySummary;
  invariants: Invariant[];
}

/** Database round trips of the hold phase, read from the server's /metrics. */
export interface RoundTrips {
  hold_requests: number;
  /** `reserveHolds` store calls (one database round trip, or one transaction, each). */
  store_calls: number;
  /** Hold requests those calls carried; the rest were refused without touching storage. */
  requests_reaching_store: number;
  /** store_calls / hold_requests. */
  calls_per_request: number;
  source: string;
}

/** One step of the checkout wave: its endpoint's answers, and bare Hono's at the same concurrency with `--baseline`. */
export interface CheckoutStepReport {
  requests: number;
  /** Answers per second, from the step's first request to its last answer of this endpoint. */
  per_sec: number;
  /** Every request of the wave runs on a connection opened before it: these are established-connection figures. */
  latency_ms: LatencySummary;
  /** Bare Hono's answers per second for the same endpoint, client and concurrency, right before and right after the flow, as one. */
  baseline_rps?: number;
  baseline_rps_runs?: number[];
  /** per_sec / baseline_rps. */
  baseline_ratio?: number;
  baseline_latency_ms?: LatencySummary;
  /**
   * Webhooks only: every answer the server gave in the step, the buyers' order reads answered
   * meanwhile included, over the step's time: what the server did per second, against bare Hono.
   */
  step_answers?: { requests: number; per_sec: number; baseline_ratio?: number };
}

/** The winners' checkout after the hold stampede: their orders, then their payments' webhooks. */
export interface CheckoutWaveReport {
  /** Buyers checking out at once (`--flow-concurrency`, default every winner up to `--concurrency`). */
  concurrency: number;
  /** `POST /api/orders` in the orders step (wrong tokens and double orders included). */
  orders: CheckoutStepReport;
  /** `POST /api/payments/webhook`: the first deliveries (duplicates included), while each page reads its order. */
  webhooks: CheckoutStepReport;
}

/** What the flow phase did to the buyers who got a hold. */
export interface FlowSummary {
  winners: number;
  abandoned: number;
  ordered: number;
  paid: number;
  failed: number;
  unpaid: number;
  late_paid: number;
  duplicate_webhooks: number;
  retries_new_key: number;
  conflicting_webhooks: number;
  key_reuse_other_body: number;
  double_order_attempts: number;
  wrong_token_attempts: number;
  expiry_pass: { holds: number; orders: number; units: number };
  // Hold lifecycle.
  /** Buyers whose release answered 200, and how many of them sent it twice at once. */
  released: number;
  repeated_releases: number;
  /** Buyers who extended their hold before ordering, and extensions refused at the cap (a target's). */
  extended: number;
  extensions_at_cap: number;
  /** Reads of an order with its hold's token: polls while the webhook was on its way, and the final reads. */
  order_reads: number;
}

// Drops: a scheduled sale with a per-buyer limit.
/** What `--buyers`, `--max-per-buyer` and `--opens-in` set up, and what happened around the opening. */
export interface DropReport {
  buyers: number | null;
  max_per_buyer: number | null;
  /** When the sale opened (ISO-8601 UTC), with `--opens-in`; null without. */
  opens_at: string | null;
  /** Hold requests answered sale_not_started: those that arrived before the opening. */
  requests_before_opening?: number;
  /** reserveHolds store calls (database transactions) from the start of the stampede to the opening, read from /metrics. */
  store_calls_before_opening?: number | null;
  /** store_calls_before_opening / requests_before_opening. */
  calls_per_request_before_opening?: number | null;
  /** Hold answers (201 or 409) that arrived at or after the opening. */
  requests_after_opening?: number;
  /** Those answers per second, from the opening to the last one. */
  holds_per_sec_after_opening?: number;
  /** holds_per_sec_after_opening / baseline_rps (with `--baseline`). */
  baseline_ratio_after_opening?: number;
  /** From the opening to the last hold of the product, by the server's clock; null when none. */
  last_hold_after_opening_ms?: number | null;
  /** The same when that hold took the last unit (the stock ran out); null when stock was left. */
  sold_out_after_opening_ms?: number | null;
}

/** Merchant events: the run's outbox, and with `pushed` what the bench's receiver got of it. */
export interface EventsReport {
  /** Whether the server pushed its events to the bench's receiver; when not, `not_pushed` says why. */
  pushed: boolean;
  not_pushed?: string;
  /** Events the outbox holds from this run (since the server started), and of each type. */
  outbox_events: number;
  by_type: Record<string, number>;
  // Pushed only.
  /** Deliveries the receiver accepted, repeats included; the distinct events among them; the repeats. */
  deliveries?: number;
  delivered_events?: number;
  duplicates?: number;
  /** Deliveries whose signature (or shape) did not verify. */
  invalid_signatures?: number;
  /** Events the receiver did not have yet when the flow ended. */
  backlog_at_flow_end?: number;
  /** From the end of the flow until the receiver had the last of them; 0 when none was left. */
  drain_ms?: number;
  /** backlog_at_flow_end / drain_ms: events delivered per second once the sale stopped writing; null when none was left. */
  drain_per_sec?: number | null;
  /** From each event's created_at to its first acceptance, by the receiver's clock (same machine). */
  latency_ms?: LatencySummary;
  /** The median of the server's own flashsale_event_delivery_latency_seconds (bucket-interpolated); null without /metrics. */
  server_latency_p50_ms?: number | null;
}

/** Everything a run found; `--json` prints it as is. */
export interface BenchReport {
  /** True when every invariant holds: the exit status is 0 exactly then. */
  ok: boolean;
  mode: 'stampede' | 'engine';
  db: string;
  target: string | null;
  settings: {
    stock: number;
    requests: number;
    concurrency: number;
    qty: string;
    seed: number;
    warmup: number;
    synchronous: string;
    // Drops: present when set.
    buyers?: number;
    max_per_buyer?: number;
    opens_in_ms?: number;
    /** With `--products` above 1, and `--flow-concurrency`. */
    products?: number;
    flow_concurrency?: number;
    /** Stampede mode: whether the server pushed its merchant events to the bench's receiver (`events.not_pushed` says why not). */
    events?: boolean;
  };
  started_at: string;
  duration_ms: number;
  machine: { cpus: number; cpu_model: string; node: string; platform: string };
  /** Hold requests answered per second (stampede: every answer, 201 or 409; engine: the engine's own strategy). */
  holds_per_sec: number;
  /** Latency of hold requests. */
  latency_ms: LatencySummary;
  /** The same without each connection's first request, whose time includes its set-up. */
  latency_established_ms?: LatencySummary;
  /** Statuses of hold requests. */
  status_counts: Record<string, number>;
  endpoints: Record<string, EndpointReport>;
  /** Bare Hono's requests per second over its two runs, right before and right after the hold burst. */
  baseline_rps?: number;
  /** Each of those two runs, before then after. */
  baseline_rps_runs?: number[];
  /** holds_per_sec / baseline_rps. */
  baseline_ratio?: number;
  baseline_latency_ms?: LatencySummary;
  baseline_latency_established_ms?: LatencySummary;
  store_round_trips?: RoundTrips | null;
  flow?: FlowSummary;
  checkout_wave?: CheckoutWaveReport;
  /** With `--buyers`, `--max-per-buyer` or `--opens-in`. */
  drop?: DropReport;
  /** Stampede mode: the merchant events of the run. */
  events?: EventsReport;
  strategies?: StrategyReport[];
  /** Engine mode with every strategy: orders and payments per request and grouped, same buyers. */
  checkout_paths?: CheckoutPathReport[];
  invariants: Invariant[];
  charts: {
    latency_histogram: Histogram;
    throughput: { bucket_ms: number; per_sec: number[] };
    baseline_throughput?: { bucket_ms: number; per_sec: number[] };
  };
}

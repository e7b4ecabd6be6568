import type { EpochMs } from './domain.js';
import { toMerchantEvent, type MerchantEvent } from './merchant-events.js';
import type { ClaimedEventDelivery, EventDeliveryBacklog, EventDeliverySettlement, FlashSaleStore } from './store.js';

/**
 * Events for the merchant, pushed: the loop that takes each sink's due deliveries from the store,
 * hands them to the sink, and records what happened. The queue lives in the store (one row per
 * sink and event), so a dead receiver costs rows, not memory, a restart loses nothing, and on a
 * shared database several processes split the work without ever attempting one delivery twice at
 * once (a claimed delivery is leased to one process).
 */

/** Where events go: an outbound webhook endpoint, a NATS subject. */
export interface EventSink {
  /** Stable and unique: the store keys this sink's queue by it. Never a secret. */
  readonly id: string;
  /** For logs and metric labels. Never a secret (no credentials, no query string). */
  readonly label: string;
  /**
   * Delivers one event; resolves once the receiver has it. Rejects on anything else (a refusal,
   * a timeout, a broken connection); the rejection's message is kept as the reason, so it must
   * never carry a secret. `signal` aborts when the attempt's time is up.
   */
  deliver(event: MerchantEvent, attempt: { number: number; signal: AbortSignal }): Promise<void>;
  /** Releases the sink's connections. */
  close?(): Promise<void>;
}

export interface EventDeliveryOptions {
  sinks: readonly EventSink[];
  /** How long an event is retried before it is marked dead. Default 24 h. */
  maxAgeMs?: number;
  /** How long one attempt may take. Default 10 s. */
  attemptTimeoutMs?: number;
  /** The first retry's delay; each later one doubles, up to `maxRetryDelayMs`, with jitter. Default 1 s. */
  retryDelayMs?: number;
  /** The longest delay between two attempts. Default 15 min. */
  maxRetryDelayMs?: number;
  /** How often an idle sink looks for new events. Default 250 ms. */
  pollIntervalMs?: number;
  /** Deliveries claimed, and attempted at once, per claim. Default 64. */
  batchSize?: number;
  /**
   * Claims in flight per sink: while one batch waits for its slowest receiver answer, the next is
   * claimed and attempted. Default 4. An order's events still go one at a time: a delivery is
   * pending while it is in flight, and holds the order's later ones back.
   */
  batchesInFlight?: number;
  /**
   * Told of every attempt's outcome, for metrics and logs, once the store has recorded it: an
   * attempt whose settlement is lost is attempted again and told of then, so it counts once.
   */
  onAttempt?: (report: DeliveryAttemptReport) => void;
  /** Told when a claim or a settlement fails; the loop keeps going. */
  onError?: (error: unknown, sink: EventSink) => void;
  /** Random in [0, 1), for the jitter. Default Math.random. */
  random?: () => number;
}

export interface DeliveryAttemptReport {
  sink: EventSink;
  event: MerchantEvent;
  attempt: number;
  outcome: EventDeliverySettlement['outcome'];
  /** For `retry` and `dead`: why. */
  error?: string;
  /** How long after the event's creation it was delivered (for `delivered`). */
  latencyMs?: number;
}

export interface EventDelivery {
  /** What each sink has left to deliver. */
  backlog(): Promise<Array<{ sink: EventSink } & EventDeliveryBacklog>>;
  /** Stops claiming, aborts the attempts in flight and records them as failed, closes the sinks. Idempotent. */
  stop(): Promise<void>;
}

export const EVENT_DELIVERY_DEFAULTS = Object.freeze({
  maxAgeMs: 86_400_000,
  attemptTimeoutMs: 10_000,
  retryDelayMs: 1_000,
  maxRetryDelayMs: 900_000,
  pollIntervalMs: 250,
  batchSize: 64,
  batchesInFlight: 4,
});

type DeliveryStore = Pick<FlashSaleStore, 'registerEventSink' | 'claimEventDeliveries' | 'settleEventDeliveries' | 'eventDeliveryBacklog'>;

/**
 * The delay before retry number `attempt + 1`: exponential from `retryDelayMs`, capped, and drawn
 * in its upper half so that receivers coming back from an outage are not hit by every sender at
 * the same instant, while no retry comes sooner than half its step.
 */
export function retryDelay(attempt: number, options: { retryDelayMs: number; maxRetryDelayMs: number }, random: () => number): number {
  const step = Math.min(options.maxRetryDelayMs, options.retryDelayMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(step / 2 + (random() * step) / 2);
}

/** Starts one delivery loop per sink. Registers each sink first (a new sink starts at the newest event). */
export async function startEventDelivery(store: DeliveryStore, clock: () => EpochMs, options: EventDeliveryOptions): Promise<EventDelivery> {
  const settings = { ...EVENT_DELIVERY_DEFAULTS, ...definedOnly(options) };
  for (const [name, value] of Object.entries(settings)) {
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 1)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const ids = new Set<string>();
  for (const sink of options.sinks) {
    if (ids.has(sink.id)) throw new RangeError(`two event sinks share the id ${sink.label}`);
    ids.add(sink.id);
  }
  for (const sink of options.sinks) await store.registerEventSink({ sink: sink.id, now: clock() });

  const random = options.random ?? Math.random;
  // Longer than any attempt can run, so a lease only ends for a process that stopped settling.
  const leaseMs = 2 * settings.attemptTimeoutMs + 5_000;
  let stopped = false;
  // Attempts in flight, so stopping need not wait out a slow receiver's timeout.
  const inFlight = new Set<AbortController>();
  const wakers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      wakers.add(done);
    });

  type Attempted = { settlement: EventDeliverySettlement; report?: DeliveryAttemptReport };
  const attemptOne = async (sink: EventSink, claimed: ClaimedEventDelivery): Promise<Attempted> => {
    const { position } = claimed.event;
    const attempt = claimed.attempt;
    let event: MerchantEvent;
    try {
      event = toMerchantEvent(claimed.event);
    } catch (error) {
      // A row no store should have written can never be delivered: dead at once, not retried for a day.
      return { settlement: { position, attempt, outcome: 'dead', error: reason(error) } };
    }
    const controller = new AbortController();
    inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error(`timed out after ${settings.attemptTimeoutMs} ms`)), settings.attemptTimeoutMs);
    let settlement: EventDeliverySettlement;
    try {
      await Promise.race([
        sink.deliver(event, { number: attempt, signal: controller.signal }),
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true })),
      ]);
      settlement = { position, attempt, outcome: 'delivered' };
      return { settlement, report: { sink, event, attempt, outcome: 'delivered', latencyMs: Math.max(0, clock() - event.createdAt) } };
    } catch (error) {
      const now = clock();
      const deadline = event.createdAt + settings.maxAgeMs;
      const why = reason(error);
      if (now >= deadline) settlement = { position, attempt, outcome: 'dead', error: why };
      // The last retry lands on the deadline, so an event gets its full age of chances.
      else settlement = { position, attempt, outcome: 'retry', retryAt: Math.min(now + retryDelay(attempt, settings, random), deadline), error: why };
      return { settlement, report: { sink, event, attempt, outcome: settlement.outcome, error: why } };
    } finally {
      clearTimeout(timer);
      inFlight.delete(controller);
    }
  };

  /** Sinks whose last claim came back full: more is due, so every loop of the sink claims. */
  const behind = new Set<EventSink>();
  /** Per sink, the loops waiting for their batch's answers. */
  const waiting = new Map<EventSink, number>(options.sinks.map((sink) => [sink, 0]));

  // Loop 0 of a sink always polls; loop i polls too once i loops wait on a slow receiver, so new
  // events are not stuck behind a hanging batch; all claim while the sink is behind. An idle sink
  // costs one claim per poll interval, not one per loop.
  const loop = async (sink: EventSink, index: number): Promise<void> => {
    while (!stopped) {
      if (index > waiting.get(sink)! && !behind.has(sink)) {
        await sleep(settings.pollIntervalMs);
        continue;
      }
      let claimed: ClaimedEventDelivery[];
      try {
        const now = clock();
        claimed = await store.claimEventDeliveries({ sink: sink.id, now, leaseUntil: now + leaseMs, limit: settings.batchSize });
      } catch (error) {
        options.onError?.(error, sink);
        await sleep(settings.pollIntervalMs);
        continue;
      }
      if (claimed.length === settings.batchSize) behind.add(sink);
      else behind.delete(sink);
      if (claimed.length === 0) {
        await sleep(settings.pollIntervalMs);
        continue;
      }
      waiting.set(sink, waiting.get(sink)! + 1);
      const attempted = await Promise.all(claimed.map((c) => attemptOne(sink, c)));
      waiting.set(sink, waiting.get(sink)! - 1);
      let settled = false;
      try {
        await store.settleEventDeliveries({ sink: sink.id, now: clock(), settlements: attempted.map((a) => a.settlement) });
        settled = true;
      } catch (error) {
        // The leases end and the deliveries are attempted again: at least once, never lost.
        options.onError?.(error, sink);
        await sleep(settings.pollIntervalMs);
      }
      if (settled) for (const { report } of attempted) if (report) options.onAttempt?.(report);
      // A full batch means more may be due: claim again at once.
      if (claimed.length < settings.batchSize) await sleep(settings.pollIntervalMs);
    }
  };

  const loops = options.sinks.flatMap((sink) => Array.from({ length: settings.batchesInFlight }, (_, index) => loop(sink, index)));
  let stopping: Promise<void> | undefined;
  return {
    async backlog() {
      return Promise.all(options.sinks.map(async (sink) => ({ sink, ...(await store.eventDeliveryBacklog({ sink: sink.id })) })));
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        for (const wake of [...wakers]) wake();
        // Cut short, they are recorded as failed and retried: by the next process to run.
        for (const controller of inFlight) controller.abort(new Error('the server is shutting down'));
        await Promise.all(loops);
        await Promise.all(options.sinks.map((sink) => sink.close?.()));
      })();
      return stopping;
    },
  };
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function definedOnly(options: EventDeliveryOptions) {
  const { maxAgeMs, attemptTimeoutMs, retryDelayMs, maxRetryDelayMs, pollIntervalMs, batchSize, batchesInFlight } = options;
  return Object.fromEntries(Object.entries({ maxAgeMs, attemptTimeoutMs, retryDelayMs, maxRetryDelayMs, pollIntervalMs, batchSize, batchesInFlight }).filter(([, v]) => v !== undefined)) as Partial<typeof EVENT_DELIVERY_DEFAULTS>;
}

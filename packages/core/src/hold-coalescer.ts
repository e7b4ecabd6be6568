import { FlashSaleError } from './errors.js';
import type { Replayable } from './idempotency.js';
import type { FlashSaleStore, ReserveOutcome, ReserveRequest } from './store.js';

/**
 * Asked when a queued request's batch is formed: an answer settles it without the store (the
 * engine's sold-out knowledge, learned from the batch ahead of it), `undefined` sends it on.
 */
export type EarlyAnswer = () => Replayable<ReserveOutcome> | undefined;

interface Waiter {
  request: ReserveRequest;
  answerEarly: EarlyAnswer | undefined;
  resolve(outcome: Replayable<ReserveOutcome>): void;
  reject(error: unknown): void;
}

interface Lane {
  waiting: Waiter[];
  busy: boolean;
}

/**
 * Group commit for hot products. Hold requests for one product that arrive while a reservation for
 * that product is being written are queued, then taken together in ONE `reserveHolds` call, in
 * arrival order. The store grants them first-fit, so the result equals serving them one by one in
 * that order (linearizability, docs/model.md), while the product row is locked once per batch instead of once per
 * request.
 *
 * An idle product dispatches at the end of the current event-loop turn (`setImmediate`), so the
 * requests parsed in the same turn share a transaction and a lone request waits well under a
 * millisecond. A batch that fails as a whole rejects each of its requests with the store's error.
 * A request may carry an {@link EarlyAnswer}: when the batch ahead of it sold the product out, the
 * stampede queued behind that batch is refused without another round trip.
 */
export class HoldCoalescer {
  readonly #store: FlashSaleStore;
  readonly #maxBatch: number;
  readonly #lanes = new Map<number, Lane>();

  readonly #onBatch: (productId: number, size: number) => void;

  constructor(store: FlashSaleStore, maxBatch: number, onBatch: (productId: number, size: number) => void = () => {}) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    this.#store = store;
    this.#maxBatch = maxBatch;
    this.#onBatch = onBatch;
  }

  reserve(request: ReserveRequest, answerEarly?: EarlyAnswer): Promise<Replayable<ReserveOutcome>> {
    return new Promise((resolve, reject) => {
      let lane = this.#lanes.get(request.productId);
      if (!lane) {
        lane = { waiting: [], busy: false };
        this.#lanes.set(request.productId, lane);
      }
      lane.waiting.push({ request, answerEarly, resolve, reject });
      if (!lane.busy) {
        lane.busy = true;
        const scheduled = lane;
        setImmediate(() => void this.#drain(request.productId, scheduled));
      }
    });
  }

  async #drain(productId: number, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const batch = this.#takeBatch(lane);
      if (batch.length === 0) continue;
      this.#onBatch(productId, batch.length);
      try {
        const outcomes = await this.#store.reserveHolds(batch.map((waiter) => waiter.request));
        if (outcomes.length !== batch.length) {
          throw new Error(`store answered ${outcomes.length} outcomes for ${batch.length} requests`);
        }
        batch.forEach((waiter, i) => waiter.resolve(outcomes[i]!));
        // One microtask turn, so the callers just answered (queued before this continuation) learn
        // what the batch left, a sell-out included, before the next batch is formed.
        await undefined;
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
        // Storage is down: the requests queued behind this batch would each wait out their own
        // timeout only to fail the same way, so they fail now with the same answer.
        if (FlashSaleError.is(error, 'storage_unavailable')) {
          for (const waiter of lane.waiting.splice(0)) waiter.reject(error);
        }
      }
    }
    lane.busy = false;
    this.#lanes.delete(productId);
  }

  /** The next batch: up to `maxBatch` queued requests in arrival order, less those answered early. */
  #takeBatch(lane: Lane): Waiter[] {
    const batch: Waiter[] = [];
    let taken = 0;
    for (; taken < lane.waiting.length && batch.length < this.#maxBatch; taken++) {
      const waiter = lane.waiting[taken]!;
      const early = waiter.answerEarly?.();
      if (early === undefined) batch.push(waiter);
      else waiter.resolve(early);
    }
    lane.waiting.splice(0, taken);
    return batch;
  }
}

import { FlashSaleError } from './errors.js';
import type { Replayable } from './idempotency.js';
import type { FlashSaleStore, ReserveOutcome, ReserveRequest } from './store.js';

interface Waiter {
  request: ReserveRequest;
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
 * that order (SPEC section 3), while the product row is locked once per batch instead of once per
 * request.
 *
 * An idle product dispatches at the end of the current event-loop turn (`setImmediate`), so the
 * requests parsed in the same turn share a transaction and a lone request waits well under a
 * millisecond. A batch that fails as a whole rejects each of its requests with the store's error.
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

  reserve(request: ReserveRequest): Promise<Replayable<ReserveOutcome>> {
    return new Promise((resolve, reject) => {
      let lane = this.#lanes.get(request.productId);
      if (!lane) {
        lane = { waiting: [], busy: false };
        this.#lanes.set(request.productId, lane);
      }
      lane.waiting.push({ request, resolve, reject });
      if (!lane.busy) {
        lane.busy = true;
        const scheduled = lane;
        setImmediate(() => void this.#drain(request.productId, scheduled));
      }
    });
  }

  async #drain(productId: number, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const batch = lane.waiting.splice(0, this.#maxBatch);
      this.#onBatch(productId, batch.length);
      try {
        const outcomes = await this.#store.reserveHolds(batch.map((waiter) => waiter.request));
        if (outcomes.length !== batch.length) {
          throw new Error(`store answered ${outcomes.length} outcomes for ${batch.length} requests`);
        }
        batch.forEach((waiter, i) => waiter.resolve(outcomes[i]!));
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
}

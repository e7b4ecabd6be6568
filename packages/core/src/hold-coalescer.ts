import { performance } from 'node:perf_hooks';
import { FlashSaleError } from './errors.js';
import type { Replayable } from './idempotency.js';
import type { FlashSaleStore, ReserveOutcome, ReserveRequest } from './store.js';

export interface HoldCoalescerOptions {
  /** The most requests taken in one `reserveHolds` call. */
  maxBatch: number;
  /**
   * While a product is sold out, how long its requests may gather before their batch goes to the
   * store, in ms. 0: a batch goes at the next turn of the event loop, as for any product.
   */
  soldOutWindowMs: number;
  /** Told of every store call: the product and how many requests it carried. */
  onBatch?: (productId: number, size: number) => void;
}

interface Waiter {
  request: ReserveRequest;
  resolve(outcome: Replayable<ReserveOutcome>): void;
  reject(error: unknown): void;
}

interface Lane {
  waiting: Waiter[];
  busy: boolean;
}

/** How long "this product was sold out" shapes the next batch's timing. Only timing: never an answer. */
const SOLD_OUT_HINT_MS = 1_000;

/**
 * Group commit for hot products. Hold requests for one product that arrive while a reservation for
 * that product is being written are queued, then taken together in ONE `reserveHolds` call, in
 * arrival order. The store grants them first-fit, so the result equals serving them one by one in
 * that order (linearizability, docs/model.md), while the product row is locked once per batch
 * instead of once per request.
 *
 * Every answer comes from a store call made after the request arrived: nothing this process
 * remembers decides an answer, so stock that any other process returns is seen by the next
 * request here. What memory does decide is timing. An idle product dispatches at the end of the
 * current event-loop turn (`setImmediate`), so a lone request waits well under a millisecond. A
 * product whose last batch left it sold out lets its requests gather instead, until a turn of the
 * event loop brings none, `maxBatch` are queued, or `soldOutWindowMs` has passed: a sold-out
 * stampede then costs the store one call per window, not one per request.
 *
 * A batch that fails as a whole rejects each of its requests with the store's error.
 */
export class HoldCoalescer {
  readonly #store: FlashSaleStore;
  readonly #maxBatch: number;
  readonly #soldOutWindowMs: number;
  readonly #onBatch: (productId: number, size: number) => void;
  readonly #lanes = new Map<number, Lane>();
  /** Products whose last batch left them sold out, and when (performance.now()). */
  readonly #soldOutAt = new Map<number, number>();

  constructor(store: FlashSaleStore, options: HoldCoalescerOptions) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    if (!Number.isInteger(options.soldOutWindowMs) || options.soldOutWindowMs < 0) throw new RangeError('soldOutWindowMs must be a non-negative integer');
    this.#store = store;
    this.#maxBatch = options.maxBatch;
    this.#soldOutWindowMs = options.soldOutWindowMs;
    this.#onBatch = options.onBatch ?? (() => {});
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
      if (this.#isSoldOut(productId)) await this.#gather(lane);
      const batch = lane.waiting.splice(0, this.#maxBatch);
      this.#onBatch(productId, batch.length);
      try {
        const outcomes = await this.#store.reserveHolds(batch.map((waiter) => waiter.request));
        if (outcomes.length !== batch.length) {
          throw new Error(`store answered ${outcomes.length} outcomes for ${batch.length} requests`);
        }
        this.#learn(productId, outcomes);
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

  /** Waits while more requests keep arriving, up to `maxBatch` of them or the window's end. */
  async #gather(lane: Lane): Promise<void> {
    const deadline = performance.now() + this.#soldOutWindowMs;
    let seen = lane.waiting.length;
    while (lane.waiting.length < this.#maxBatch && performance.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      if (lane.waiting.length === seen) return;
      seen = lane.waiting.length;
    }
  }

  // Hold lifecycle: a release gave the product stock back.
  /** Forgets that `productId` sold out: its next requests go at once again, as for any product. */
  stockReturned(productId: number): void {
    this.#soldOutAt.delete(productId);
  }

  #isSoldOut(productId: number): boolean {
    const at = this.#soldOutAt.get(productId);
    if (at === undefined) return false;
    if (performance.now() - at < SOLD_OUT_HINT_MS) return true;
    this.#soldOutAt.delete(productId);
    return false;
  }

  /** Remembers whether the batch left the product sold out: its last decided outcome says. */
  #learn(productId: number, outcomes: readonly Replayable<ReserveOutcome>[]): void {
    for (let i = outcomes.length - 1; i >= 0; i--) {
      const result = outcomes[i]!;
      if (result.kind !== 'done') continue;
      const left = 'stockLeft' in result.outcome ? result.outcome.stockLeft : undefined;
      if (left === 0) this.#soldOutAt.set(productId, performance.now());
      else this.#soldOutAt.delete(productId);
      return;
    }
  }
}

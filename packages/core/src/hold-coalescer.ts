import { performance } from 'node:perf_hooks';
import { FlashSaleError } from './errors.js';
import type { Replayable } from './idempotency.js';
import type { FlashSaleStore, ReserveOutcome, ReserveRequest } from './store.js';

export interface HoldCoalescerOptions {
  /** The most requests taken in one `reserveHolds` call. */
  maxBatch: number;
  /**
   * While a product is closed to every request (sold out, or outside its sale window), how long
   * its requests may gather before their batch goes to the store, in ms. 0: a batch goes at the
   * next turn of the event loop, as for any product.
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
  /** Ends a gathering that waits out its window, once `maxBatch` requests are queued. */
  wake?: (() => void) | undefined;
}

/** Why a product's last batch refused it to everyone: no stock left, or outside its sale window. */
type ClosedBy = 'stock' | 'window';

/** How long "this product was closed to all" shapes the next batch's timing. Only timing: never an answer. */
const CLOSED_HINT_MS = 1_000;

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
 * product whose last batch refused it to everyone (left it sold out, or found it before its sale
 * opens or after it ends) lets its requests gather instead, until a turn of the event loop brings
 * none, `maxBatch` are queued, or `soldOutWindowMs` has passed: a sold-out stampede, or one that
 * arrives before the opening, then costs the store one call per window, not one per request.
 * Before the opening (or after the end) only the clock or an admin's change can open the product,
 * and no request can be sold anything sooner by going at once, so such a lane waits out its whole
 * window (or `maxBatch` requests) rather than stopping at the first quiet turn: a pre-opening
 * stampede then costs one call per window even when its requests trickle in. Each request is
 * still judged at its own arrival time, so one that arrives at the opening is never refused as
 * early because it waited in a batch gathered before; the first batch after the opening waits
 * at most one window.
 *
 * A batch that fails as a whole rejects each of its requests with the store's error.
 */
export class HoldCoalescer {
  readonly #store: FlashSaleStore;
  readonly #maxBatch: number;
  readonly #soldOutWindowMs: number;
  readonly #onBatch: (productId: number, size: number) => void;
  readonly #lanes = new Map<number, Lane>();
  /** Products whose last batch refused them to everyone, and when (performance.now()). */
  readonly #closedAt = new Map<number, { at: number; by: ClosedBy }>();

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
      if (lane.wake && lane.waiting.length >= this.#maxBatch) lane.wake();
      if (!lane.busy) {
        lane.busy = true;
        const scheduled = lane;
        setImmediate(() => void this.#drain(request.productId, scheduled));
      }
    });
  }

  async #drain(productId: number, lane: Lane): Promise<void> {
    while (lane.waiting.length > 0) {
      const closed = this.#closedBy(productId);
      if (closed === 'stock') await this.#gather(lane);
      else if (closed === 'window') await this.#gatherWindow(lane);
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

  /**
   * Forgets that `productId` sold out (a release gave stock back): its next requests go at once
   * again, as for any product. Only timing changes; a product closed by its sale window stays so.
   */
  stockReturned(productId: number): void {
    if (this.#closedAt.get(productId)?.by === 'stock') this.#closedAt.delete(productId);
  }

  /** Waits out the window, or until `maxBatch` requests are queued, with no busy turns. */
  async #gatherWindow(lane: Lane): Promise<void> {
    if (this.#soldOutWindowMs === 0 || lane.waiting.length >= this.#maxBatch) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        lane.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, this.#soldOutWindowMs);
      lane.wake = finish;
    });
  }

  #closedBy(productId: number): ClosedBy | undefined {
    const closed = this.#closedAt.get(productId);
    if (closed === undefined) return undefined;
    if (performance.now() - closed.at < CLOSED_HINT_MS) return closed.by;
    this.#closedAt.delete(productId);
    return undefined;
  }

  /**
   * Remembers whether the batch left the product closed to everyone: its last decided outcome
   * that speaks for the product says (a buyer's own refusal says nothing of the others).
   */
  #learn(productId: number, outcomes: readonly Replayable<ReserveOutcome>[]): void {
    for (let i = outcomes.length - 1; i >= 0; i--) {
      const result = outcomes[i]!;
      if (result.kind !== 'done') continue;
      const closed = closedToAll(result.outcome);
      if (closed === undefined) continue;
      if (closed) this.#closedAt.set(productId, { at: performance.now(), by: closed });
      else this.#closedAt.delete(productId);
      return;
    }
  }
}

/** Whether an outcome shows the product refusing every request now, and why; undefined when it tells only of one buyer. */
function closedToAll(outcome: ReserveOutcome): ClosedBy | false | undefined {
  if (outcome.kind === 'held') return outcome.stockLeft === 0 && 'stock';
  switch (outcome.code) {
    case 'insufficient_stock':
      return outcome.stockLeft === 0 && 'stock';
    case 'sale_not_started':
    case 'sale_ended':
      return 'window';
    case 'buyer_required':
    case 'buyer_limit_exceeded':
      return undefined;
    case 'product_not_found':
      return false;
  }
}

import { performance } from 'node:perf_hooks';
import { FlashSaleError } from './errors.js';
import type { Replayable } from './idempotency.js';
import type { FlashSaleStore, ReserveOutcome, ReserveRequest } from './store.js';

export interface HoldCoalescerOptions {
  /** The most requests taken in one `reserveHolds` call. */
  maxBatch: number;
  /**
   * While a product is closed to every request (sold out, or outside its sale window), how long
   * its requests may gather before they go to the store, in ms. 0: they go with the next call,
   * as for any product.
   */
  soldOutWindowMs: number;
  /** Told of every store call: how many requests it carried, and for which products. */
  onBatch?: (size: number, productIds: readonly number[]) => void;
}

interface Waiter {
  request: ReserveRequest;
  resolve(outcome: Replayable<ReserveOutcome>): void;
  reject(error: unknown): void;
  /** Came out of a pen: it has waited its window and goes with the next call. */
  gathered?: true;
}

/** Requests for one closed product, gathering before they join the queue. */
interface Pen {
  waiting: Waiter[];
  by: ClosedBy;
  /** Ends the gathering now: `maxBatch` requests are penned, or stock came back. */
  wake?: (() => void) | undefined;
}

/** Why a product's last batch refused it to everyone: no stock left, or outside its sale window. */
type ClosedBy = 'stock' | 'window';

/** How long "this product was closed to all" shapes the next batch's timing. Only timing: never an answer. */
const CLOSED_HINT_MS = 1_000;

/**
 * Group commit for hold requests. Requests that arrive while a reservation is being written are
 * queued, then taken together in ONE `reserveHolds` call, in arrival order, whatever their
 * products: a drop of sizes or seats is one stampede over many products, and each call is one
 * transaction (one commit flush), so every product of the wave shares it. The store grants
 * first-fit per product, so the result equals serving the requests one by one in that order
 * (linearizability, docs/model.md), while each product row is locked once per batch instead of
 * once per request. At most one call is in flight per process.
 *
 * Every answer comes from a store call made after the request arrived: nothing this process
 * remembers decides an answer, so stock that any other process returns is seen by the next
 * request here. What memory does decide is timing. An idle coalescer dispatches at the end of the
 * current event-loop turn (`setImmediate`), so a lone request waits well under a millisecond. A
 * product whose last batch refused it to everyone (left it sold out, or found it before its sale
 * opens or after it ends) lets its requests gather in a pen of their own instead, until a turn of
 * the event loop brings none, `maxBatch` are penned, or `soldOutWindowMs` has passed: a sold-out
 * stampede, or one that arrives before the opening, then costs the store one call per window, not
 * one per request, and the other products' requests never wait for it. Before the opening (or
 * after the end) only the clock or an admin's change can open the product, and no request can be
 * sold anything sooner by going at once, so such a pen waits out its whole window (or `maxBatch`
 * requests) rather than stopping at the first quiet turn: a pre-opening stampede then costs one
 * call per window even when its requests trickle in. Each request is still judged at its own
 * arrival time, so one that arrives at the opening is never refused as early because it waited in
 * a batch gathered before; the first batch after the opening waits at most one window.
 *
 * A batch that fails as a whole rejects each of its requests with the store's error.
 */
export class HoldCoalescer {
  readonly #store: FlashSaleStore;
  readonly #maxBatch: number;
  readonly #soldOutWindowMs: number;
  readonly #onBatch: (size: number, productIds: readonly number[]) => void;
  /** Requests for the next store call, in arrival order. */
  #queue: Waiter[] = [];
  /** A store call is in flight, or one is scheduled for the end of this turn. */
  #busy = false;
  readonly #pens = new Map<number, Pen>();
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
      const waiter: Waiter = { request, resolve, reject };
      const productId = request.productId;
      // A product with a pen keeps its requests there, so they leave in arrival order.
      const pen = this.#pens.get(productId) ?? this.#penFor(productId);
      if (pen) return this.#pen(pen, waiter);
      this.#queue.push(waiter);
      this.#schedule();
    });
  }

  /**
   * Forgets that `productId` sold out (a release gave stock back): its next requests go with the
   * next call again, and those gathering go now. Only timing changes; a product closed by its sale
   * window stays so.
   */
  stockReturned(productId: number): void {
    if (this.#closedAt.get(productId)?.by === 'stock') this.#closedAt.delete(productId);
    const pen = this.#pens.get(productId);
    if (pen?.by === 'stock') pen.wake?.();
  }

  #schedule(): void {
    if (this.#busy || this.#queue.length === 0) return;
    this.#busy = true;
    setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    for (;;) {
      this.#penClosed();
      if (this.#queue.length === 0) break;
      const batch = this.#queue.length <= this.#maxBatch ? this.#queue : this.#queue.slice(0, this.#maxBatch);
      this.#queue = batch === this.#queue ? [] : this.#queue.slice(this.#maxBatch);
      this.#onBatch(batch.length, productsOf(batch));
      try {
        const outcomes = await this.#store.reserveHolds(batch.map((waiter) => waiter.request));
        if (outcomes.length !== batch.length) {
          throw new Error(`store answered ${outcomes.length} outcomes for ${batch.length} requests`);
        }
        this.#learn(batch, outcomes);
        batch.forEach((waiter, i) => waiter.resolve(outcomes[i]!));
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
        // Storage is down: the requests queued behind this batch would each wait out their own
        // timeout only to fail the same way, so they fail now with the same answer.
        if (FlashSaleError.is(error, 'storage_unavailable')) {
          for (const waiter of this.#queue.splice(0)) waiter.reject(error);
        }
      }
    }
    this.#busy = false;
  }

  /** Moves queued requests of products that the last batch found closed into their pens. */
  #penClosed(): void {
    if (this.#closedAt.size === 0 && this.#pens.size === 0) return;
    let kept = 0;
    for (const waiter of this.#queue) {
      const productId = waiter.request.productId;
      const pen = waiter.gathered ? undefined : (this.#pens.get(productId) ?? this.#penFor(productId));
      if (pen) this.#pen(pen, waiter);
      else this.#queue[kept++] = waiter;
    }
    this.#queue.length = kept;
  }

  #pen(pen: Pen, waiter: Waiter): void {
    pen.waiting.push(waiter);
    if (pen.waiting.length >= this.#maxBatch) pen.wake?.();
  }

  /** A new pen for `productId` when it is closed to everyone and gathering is on; it opens when its gathering ends. */
  #penFor(productId: number): Pen | undefined {
    const by = this.#closedBy(productId);
    if (by === undefined || this.#soldOutWindowMs === 0) return undefined;
    const pen: Pen = { waiting: [], by };
    this.#pens.set(productId, pen);
    void (by === 'stock' ? this.#gather(pen) : this.#gatherWindow(pen)).then(() => {
      this.#pens.delete(productId);
      for (const waiter of pen.waiting) {
        waiter.gathered = true;
        this.#queue.push(waiter);
      }
      this.#schedule();
    });
    return pen;
  }

  /** Waits while more requests keep arriving, up to `maxBatch` of them, the window's end, or a wake. */
  async #gather(pen: Pen): Promise<void> {
    const deadline = performance.now() + this.#soldOutWindowMs;
    let woken = false;
    pen.wake = () => (woken = true);
    // The requests that opened the pen are put in right after it is made, in this same turn.
    await Promise.resolve();
    let seen = pen.waiting.length;
    while (!woken && pen.waiting.length < this.#maxBatch && performance.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      if (pen.waiting.length === seen) break;
      seen = pen.waiting.length;
    }
    pen.wake = undefined;
  }

  /** Waits out the window, or until `maxBatch` requests are penned, with no busy turns. */
  async #gatherWindow(pen: Pen): Promise<void> {
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        pen.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, this.#soldOutWindowMs);
      pen.wake = finish;
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
   * Remembers, for each product of the batch, whether the batch left it closed to everyone: its
   * last decided outcome that speaks for the product says (a buyer's own refusal says nothing of
   * the others).
   */
  #learn(batch: readonly Waiter[], outcomes: readonly Replayable<ReserveOutcome>[]): void {
    const settled = new Set<number>();
    for (let i = outcomes.length - 1; i >= 0; i--) {
      const productId = batch[i]!.request.productId;
      const result = outcomes[i]!;
      if (result.kind !== 'done' || settled.has(productId)) continue;
      const closed = closedToAll(result.outcome);
      if (closed === undefined) continue;
      if (closed) this.#closedAt.set(productId, { at: performance.now(), by: closed });
      else this.#closedAt.delete(productId);
      settled.add(productId);
    }
  }
}

/** The distinct products of a batch, in first-arrival order. */
function productsOf(batch: readonly Waiter[]): number[] {
  const first = batch[0]!.request.productId;
  let ids: Set<number> | undefined;
  for (const waiter of batch) {
    const id = waiter.request.productId;
    if (id !== first) (ids ??= new Set([first])).add(id);
  }
  return ids ? [...ids] : [first];
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

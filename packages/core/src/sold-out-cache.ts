import type { EpochMs } from './domain.js';

/**
 * Remembers, for a short time, that a product has no stock left, so a sold-out stampede is refused
 * without a database round trip per request. This process forgets at once whenever it returns
 * stock itself (expiry, failed payment, restock); stock returned by another process is seen when
 * the entry's time to live runs out, so no request is refused for longer than `ttlMs` while stock
 * is actually available.
 */
export class SoldOutCache {
  readonly #until = new Map<number, EpochMs>();
  /** Bumped by every `forget`, so an answer read before stock came back cannot mark it sold out. */
  #generation = 0;
  readonly #ttlMs: number;
  readonly #clock: () => EpochMs;

  constructor(ttlMs: number, clock: () => EpochMs) {
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  isSoldOut(productId: number): boolean {
    const until = this.#until.get(productId);
    if (until === undefined) return false;
    if (this.#clock() < until) return true;
    this.#until.delete(productId);
    return false;
  }

  /** The current generation: take it before asking the store, pass it to `markSoldOut` after. */
  get generation(): number {
    return this.#generation;
  }

  /** Marks a product sold out, unless stock came back since `seenAt` (a generation). */
  markSoldOut(productId: number, seenAt: number): void {
    if (this.#ttlMs > 0 && seenAt === this.#generation) this.#until.set(productId, this.#clock() + this.#ttlMs);
  }

  /** Forgets one product, or every product when none is named. */
  forget(productId?: number): void {
    this.#generation++;
    if (productId === undefined) this.#until.clear();
    else this.#until.delete(productId);
  }
}

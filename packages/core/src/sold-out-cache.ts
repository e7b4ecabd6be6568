import type { EpochMs } from './domain.js';

interface Entry {
  /** From here on, one request at a time goes to the store to check ("the probe"). */
  refreshAt: EpochMs;
  /** From here on, the entry is gone and every request goes to the store. */
  until: EpochMs;
  probing: boolean;
  /** Which marking made this entry: see {@link SoldOutCache.markedSince}. */
  mark: number;
}

/**
 * Remembers, for a short time, that a product has no stock left, so a sold-out stampede is refused
 * without a database round trip per request. This process forgets at once whenever it returns
 * stock itself (expiry, failed payment, restock) or hears from the store that stock is left;
 * stock returned by another process is seen within `ttlMs`.
 *
 * Halfway through the time to live one request is let through as a probe: its answer renews the
 * entry (still sold out) or clears it (stock came back). So while a product stays sold out, one
 * request per half TTL reaches the database instead of a whole wave each time the entry expires,
 * and no request is refused for longer than `ttlMs` while stock is actually available.
 *
 * A request let through can still be refused without the store while it waits for its batch: when
 * the batch ahead of it answers "0 left" (`markedSince`). Only knowledge learned after the request
 * was let through counts, so the probe itself always reaches the store.
 */
export class SoldOutCache {
  readonly #entries = new Map<number, Entry>();
  /** Bumped by every `forget`, so an answer read before stock came back cannot mark it sold out. */
  #generation = 0;
  /** Counts markings, so a request can tell a sell-out learned after it was let through. */
  #marks = 0;
  readonly #ttlMs: number;
  readonly #clock: () => EpochMs;

  constructor(ttlMs: number, clock: () => EpochMs) {
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  /** True when the request should be refused without asking the store. */
  isSoldOut(productId: number): boolean {
    const entry = this.#entries.get(productId);
    if (entry === undefined) return false;
    const now = this.#clock();
    if (now >= entry.until) {
      this.#entries.delete(productId);
      return false;
    }
    if (now >= entry.refreshAt && !entry.probing) {
      entry.probing = true;
      return false;
    }
    return true;
  }

  /** The current generation: take it before asking the store, pass it to `markSoldOut` after. */
  get generation(): number {
    return this.#generation;
  }

  /** Marks a product sold out, unless stock came back since `seenAt` (a generation). */
  markSoldOut(productId: number, seenAt: number): void {
    if (this.#ttlMs <= 0 || seenAt !== this.#generation) return;
    const now = this.#clock();
    this.#marks++;
    this.#entries.set(productId, { refreshAt: now + Math.floor(this.#ttlMs / 2), until: now + this.#ttlMs, probing: false, mark: this.#marks });
  }

  /** The markings so far: take it when a request is let through, pass it to `markedSince` later. */
  get marks(): number {
    return this.#marks;
  }

  /** True when the product was marked sold out after `marks` was read, and still is. */
  markedSince(productId: number, marks: number): boolean {
    const entry = this.#entries.get(productId);
    return entry !== undefined && entry.mark > marks && this.#clock() < entry.until;
  }

  /** Forgets one product, or every product when none is named. */
  forget(productId?: number): void {
    this.#generation++;
    if (productId === undefined) this.#entries.clear();
    else this.#entries.delete(productId);
  }
}

import type { EpochMs, ProductRecord, SaleStatus } from './domain.js';
import type { ProductChanges, UpdateProductOutcome } from './store.js';

/**
 * The rules of a drop, as pure functions: a product's sale window and its per-buyer limit. A store
 * applies them inside its atomic unit, to the product row it has locked and the buyer's units it
 * counted there, so no process decides an answer from what it remembers.
 *
 * A buyer's units of a product are the qty of their active holds, pending orders and completed
 * orders of it (an order reaches its buyer through its hold). Units that came back (an expired
 * hold, an expired or failed order) stop counting when the stock does: an active hold past its
 * expiry still counts until an expiry pass returns its stock.
 */

/** The part of a product the window rules read. */
export type SaleWindow = Pick<ProductRecord, 'saleStartsAt' | 'saleEndsAt'>;

/**
 * Why the window refuses a request that arrived at `at`, or undefined when it is open. Open from
 * `saleStartsAt` exactly, closed from `saleEndsAt` exactly: [start, end).
 *
 * @example saleWindowRefusal({ saleStartsAt: 1_000, saleEndsAt: null }, 999) // 'sale_not_started'
 */
export function saleWindowRefusal(window: SaleWindow, at: EpochMs): 'sale_not_started' | 'sale_ended' | undefined {
  if (window.saleStartsAt !== null && at < window.saleStartsAt) return 'sale_not_started';
  if (window.saleEndsAt !== null && at >= window.saleEndsAt) return 'sale_ended';
  return undefined;
}

/**
 * Where the product stands at `now`.
 *
 * @example saleStatusAt({ saleStartsAt: 1_000, saleEndsAt: 2_000 }, 2_000) // 'ended'
 */
export function saleStatusAt(window: SaleWindow, now: EpochMs): SaleStatus {
  const refusal = saleWindowRefusal(window, now);
  return refusal === 'sale_not_started' ? 'scheduled' : refusal === 'sale_ended' ? 'ended' : 'live';
}

/** A window ends after it starts; an open side (null) always fits. */
export function isValidSaleWindow(saleStartsAt: EpochMs | null, saleEndsAt: EpochMs | null): boolean {
  return saleStartsAt === null || saleEndsAt === null || saleEndsAt > saleStartsAt;
}

/**
 * The stored product with `changes` merged in: absent fields keep their value, null clears one.
 * Refused when the merged window would end at or before its start; the store then writes nothing.
 *
 * @example applyProductChanges(stored, { saleEndsAt: null }) // { kind: 'updated', product: { ...stored, saleEndsAt: null } }
 */
export function applyProductChanges(current: ProductRecord, changes: ProductChanges): UpdateProductOutcome {
  const product: ProductRecord = { ...current };
  if (changes.name !== undefined) product.name = changes.name;
  if (changes.priceCents !== undefined) product.priceCents = changes.priceCents;
  if (changes.saleStartsAt !== undefined) product.saleStartsAt = changes.saleStartsAt;
  if (changes.saleEndsAt !== undefined) product.saleEndsAt = changes.saleEndsAt;
  if (changes.maxPerBuyer !== undefined) product.maxPerBuyer = changes.maxPerBuyer;
  if (!isValidSaleWindow(product.saleStartsAt, product.saleEndsAt)) return { kind: 'refused', code: 'invalid_sale_window' };
  return { kind: 'updated', product };
}

/**
 * One string per (product, buyer), to look a buyer's units up in a batch.
 *
 * @example buyerUnits.get(buyerUnitsKey(1, 'alice')) ?? 0
 */
export function buyerUnitsKey(productId: number, buyerId: string): string {
  return `${productId}\u0000${buyerId}`;
}

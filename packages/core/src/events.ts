import type { ErrorCode } from './errors.js';

/** Why stock came back. */
export type ReleaseCause =
  | 'hold_expired'
  | 'order_expired'
  | 'payment_failed'
  // Hold lifecycle: its buyer released the hold.
  | 'released';

/** What the engine reports as it works, for metrics and logs. Never carries a token. */
export type FlashSaleEvent =
  | { type: 'hold_created'; productId: number; qty: number }
  | { type: 'hold_rejected'; productId: number; reason: ErrorCode }
  /** One `reserveHolds` call (one transaction) carrying `size` hold requests, for `productIds` (distinct, in first-arrival order). */
  | { type: 'reserve_batch'; size: number; productIds: readonly number[] }
  | { type: 'stock_released'; cause: ReleaseCause; units: number }
  | { type: 'release_pass'; holds: number; orders: number; units: number; purgedIdempotency: number; purgedEvents: number };

export type EventListener = (event: FlashSaleEvent) => void;

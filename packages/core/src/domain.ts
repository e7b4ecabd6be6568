/** Milliseconds since the Unix epoch. All times inside flashsale are numbers in this unit. */
export type EpochMs = number;

export interface ProductRecord {
  id: number;
  name: string;
  /** Price in integer minor units (cents). */
  priceCents: number;
  availableStock: number;
  // Drops: the sale window and the per-buyer limit.
  /** No hold before this instant; null: on sale from its creation. */
  saleStartsAt: EpochMs | null;
  /** No hold from this instant on; null: no end. Always after `saleStartsAt` when both are set. */
  saleEndsAt: EpochMs | null;
  /** The most units one buyer may have in active holds, pending and completed orders; null: no limit. */
  maxPerBuyer: number | null;
}

/**
 * active: stock is taken and waiting for an order. converted: an order now carries the stock.
 * expired: the hold ran out unconverted and its stock came back.
 */
export type HoldStatus =
  | 'active'
  | 'converted'
  | 'expired'
  // Hold lifecycle: its buyer gave it back before it expired, and its stock came back at once.
  | 'released';

// Hold lifecycle: every status a hold may have, for schemas that list them (the HTTP API's).
export const HOLD_STATUSES = ['active', 'converted', 'expired', 'released'] as const satisfies readonly HoldStatus[];

export interface HoldRecord {
  id: number;
  productId: number;
  qty: number;
  status: HoldStatus;
  tokenHash: string;
  createdAt: EpochMs;
  expiresAt: EpochMs;
}

/**
 * pending: waiting for payment, stock taken. completed: paid. failed: payment failed, stock back.
 * expired: no payment before the deadline, stock back. refund_due: paid after expiry when the stock
 * could not be taken again, so the buyer must be refunded.
 */
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Every {@link OrderStatus}, for schemas that list them (the HTTP API's). */
export const ORDER_STATUSES = ['pending', 'completed', 'failed', 'expired', 'refund_due'] as const;

export interface OrderRecord {
  id: number;
  holdId: number;
  productId: number;
  qty: number;
  amountCents: number;
  status: OrderStatus;
  createdAt: EpochMs;
  paymentDeadline: EpochMs;
  txnId: string | null;
}

export type PaymentStatus = 'success' | 'failed';

// Drops: where a product stands in its sale window.
/** scheduled: before `saleStartsAt`. live: in the window. ended: at or after `saleEndsAt`. */
export type SaleStatus = 'scheduled' | 'live' | 'ended';

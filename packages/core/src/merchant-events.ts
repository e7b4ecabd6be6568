import type { EpochMs, OrderStatus } from './domain.js';
import { formatCents } from './money.js';

/**
 * Events for the merchant: the outbox every store appends to in the same transaction as the
 * change it reports. Not to be confused with {@link FlashSaleEvent} (events.ts), which is what
 * this process tells its own metrics and logs, and is never stored.
 */

/** Every merchant event type, for schemas that list them. */
export const MERCHANT_EVENT_TYPES = [
  'order.created',
  'order.completed',
  'order.failed',
  'order.expired',
  'order.refund_due',
  'hold.released',
  'product.sold_out',
  'product.restocked',
] as const;

export type MerchantEventType = (typeof MERCHANT_EVENT_TYPES)[number];

/** An order's event: the order as it stands right after the change. */
export interface OrderEventData {
  orderId: number;
  holdId: number;
  productId: number;
  qty: number;
  amountCents: number;
  /** The amount as a decimal string, such as "199.98". */
  amount: string;
  status: OrderStatus;
}

/** A hold its buyer gave back: its units are on sale again. */
export interface HoldReleasedData {
  holdId: number;
  productId: number;
  qty: number;
}

/** The product's available stock reached 0. */
export interface ProductSoldOutData {
  productId: number;
}

/** Units were added to a product's stock. */
export interface ProductRestockedData {
  productId: number;
  /** The units this restock added. */
  qty: number;
  /** The product's available stock right after it. */
  availableStock: number;
}

interface EventFields<T extends MerchantEventType, D> {
  /** Unique and stable: the same event always carries the same id (a delivery's `webhook-id`). */
  id: string;
  type: T;
  /** When the change happened, by the engine's clock. */
  createdAt: EpochMs;
  /** Increasing in commit order: read on from the last position you saw. */
  position: number;
  data: D;
}

/** A merchant event. Its data carries ids, quantities, amounts and statuses, never a token. */
export type MerchantEvent =
  | EventFields<'order.created' | 'order.completed' | 'order.failed' | 'order.expired' | 'order.refund_due', OrderEventData>
  | EventFields<'hold.released', HoldReleasedData>
  | EventFields<'product.sold_out', ProductSoldOutData>
  | EventFields<'product.restocked', ProductRestockedData>;

/**
 * An event as a store keeps it: `data` is the JSON object the store wrote (snake_case keys:
 * `order_id`, `hold_id`, `product_id`, `qty`, `amount_cents`, `status`, `available_stock`), the
 * same on every adapter, whether a trigger or the store's code wrote it.
 */
export interface StoredMerchantEvent {
  id: string;
  type: MerchantEventType;
  createdAt: EpochMs;
  position: number;
  data: Record<string, unknown>;
}

/** A stored event as the engine answers it. Throws on a row no store should have written. */
export function toMerchantEvent(stored: StoredMerchantEvent): MerchantEvent {
  const { id, type, createdAt, position, data } = stored;
  const int = (name: string): number => {
    const value = data[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`merchant event ${id} (${type}): ${name} is not an integer`);
    return value;
  };
  const base = { id, createdAt, position };
  switch (type) {
    case 'order.created':
    case 'order.completed':
    case 'order.failed':
    case 'order.expired':
    case 'order.refund_due': {
      const amountCents = int('amount_cents');
      const status = data.status as OrderStatus;
      return { ...base, type, data: { orderId: int('order_id'), holdId: int('hold_id'), productId: int('product_id'), qty: int('qty'), amountCents, amount: formatCents(amountCents), status } };
    }
    case 'hold.released':
      return { ...base, type, data: { holdId: int('hold_id'), productId: int('product_id'), qty: int('qty') } };
    case 'product.sold_out':
      return { ...base, type, data: { productId: int('product_id') } };
    case 'product.restocked':
      return { ...base, type, data: { productId: int('product_id'), qty: int('qty'), availableStock: int('available_stock') } };
    default:
      throw new TypeError(`merchant event ${id} has an unknown type: ${String(type)}`);
  }
}

/**
 * An event as JSON outside the process (the HTTP API, the CLI's --json, an outbound delivery):
 * snake_case fields, `created_at` in ISO-8601 UTC, money as a decimal string. One form everywhere,
 * so one parser reads them all.
 *
 * @example merchantEventJson(event) // { id: 'evt_…', type: 'order.completed', created_at: '2030-01-01T09:00:05.000Z', position: 42, data: { order_id: 7, … } }
 */
export function merchantEventJson(event: MerchantEvent): MerchantEventJson {
  return { id: event.id, type: event.type, created_at: new Date(event.createdAt).toISOString(), position: event.position, data: wireData(event) };
}

/** The JSON form of a {@link MerchantEvent}. */
export interface MerchantEventJson {
  id: string;
  type: MerchantEventType;
  created_at: string;
  position: number;
  data: Record<string, string | number>;
}

function wireData(event: MerchantEvent): Record<string, string | number> {
  switch (event.type) {
    case 'hold.released':
      return { hold_id: event.data.holdId, product_id: event.data.productId, qty: event.data.qty };
    case 'product.sold_out':
      return { product_id: event.data.productId };
    case 'product.restocked':
      return { product_id: event.data.productId, qty: event.data.qty, available_stock: event.data.availableStock };
    default: {
      const { orderId, holdId, productId, qty, amount, status } = event.data;
      return { order_id: orderId, hold_id: holdId, product_id: productId, qty, amount, status };
    }
  }
}

import type { Violation } from './audit.js';
import type { EpochMs, HoldStatus, OrderStatus, PaymentStatus, SaleStatus } from './domain.js';
import type { EventDelivery, EventDeliveryOptions } from './event-delivery.js';
import type { EventListener } from './events.js';
import type { MerchantEvent } from './merchant-events.js';
import type { EngineSettings } from './options.js';
import type { FlashSaleStore, PaymentEffect } from './store.js';

/** The engine's public surface: its options, the inputs and answers of its use cases. */

export interface FlashSaleOptions {
  store: FlashSaleStore;
  /** How long a hold keeps its stock. Default 2 minutes. */
  holdTtlMs?: number;
  /** How long a pending order waits for payment. Default 15 minutes. */
  paymentTtlMs?: number;
  /** How long idempotency records are kept. Default 24 hours. */
  idempotencyTtlMs?: number;
  /** The largest qty one hold may take. Default 1,000,000. */
  maxHoldQty?: number;
  /** The most hold requests taken in one store call. Default 256. */
  maxBatch?: number;
  /** Rows released per store call in `releaseExpired`. Default 500. */
  releaseBatch?: number;
  /** The time source, in epoch milliseconds. Default `Date.now`. */
  clock?: () => EpochMs;
  /**
   * While a product is sold out, how long hold requests for it may gather before they go to the
   * store together, in ms: a sold-out stampede then costs one store call per window instead of
   * one per request. Every refusal is still the store's answer to a call made after the request
   * arrived, so stock returned by any process is seen at once. 0 sends them at the next turn of
   * the event loop, as for any product. Default 10 ms.
   */
  soldOutWindowMs?: number;
  /** Makes hold tokens. Default 256 random bits in hex. */
  generateToken?: () => string;
  /** Told of holds created and refused, stock released, and release passes. */
  onEvent?: EventListener;
  // Hold lifecycle.
  /**
   * The latest an extension may move a hold's expiry to, counted from its creation. At least
   * `holdTtlMs`. Default 10 minutes, or `holdTtlMs` when that is longer.
   */
  holdMaxLifetimeMs?: number;
  // Events for the merchant.
  /** How long merchant events are kept; a release pass purges older ones. Default 7 days. */
  eventRetentionMs?: number;
}

export interface HoldInput {
  productId: number;
  qty: number;
  /** Makes a retry safe: the same key with the same request gets the first answer back. */
  idempotencyKey?: string;
  // Drops.
  /**
   * Who the hold is for: 1 to 128 characters, no control characters. Required by a product with a
   * per-buyer limit, counted against it; part of the request an idempotency key stands for.
   */
  buyerId?: string;
}

export interface OrderInput {
  holdId: number;
  /** The hold's secret, from its creation. */
  token: string;
  idempotencyKey?: string;
}

export interface PaymentInput {
  orderId: number;
  status: PaymentStatus;
  txnId?: string | null;
  /** Required: a payment provider retries, and a payment must never act twice. */
  idempotencyKey: string;
}

export interface ProductInput {
  name: string;
  /** A decimal string such as "99.99", or integer cents. */
  price: string | number;
  stock: number;
  // Drops: each optional; null or absent means no window side, no limit.
  /** No hold before this instant (epoch ms or a Date). */
  saleStartsAt?: EpochMs | Date | null;
  /** No hold from this instant on; must be after `saleStartsAt`. */
  saleEndsAt?: EpochMs | Date | null;
  /** The most units one buyer may have in active holds, pending and completed orders. */
  maxPerBuyer?: number | null;
}

// Drops: what `updateProduct` takes.
/** The product and the fields to change: an absent field stays, a null one is cleared. */
export interface UpdateProductInput {
  productId: number;
  name?: string;
  /** A decimal string such as "99.99", or integer cents. */
  price?: string | number;
  saleStartsAt?: EpochMs | Date | null;
  saleEndsAt?: EpochMs | Date | null;
  maxPerBuyer?: number | null;
}

export interface RestockInput {
  productId: number;
  qty: number;
}

export interface Product {
  id: number;
  name: string;
  priceCents: number;
  /** The price as a decimal string, such as "99.99". */
  price: string;
  availableStock: number;
  // Drops.
  saleStartsAt: EpochMs | null;
  saleEndsAt: EpochMs | null;
  maxPerBuyer: number | null;
  /** Where the sale stands by the engine's clock when this answer was made. */
  saleStatus: SaleStatus;
}

export interface HoldCreated {
  holdId: number;
  /** The secret that turns this hold into an order. Returned once; only its hash is stored. */
  token: string;
  productId: number;
  qty: number;
  expiresAt: EpochMs;
  /** True when this answer is the stored one of an earlier request with the same key. */
  replayed: boolean;
}

/** The refusals a hold request can meet as an answer (not a fault): what `tryCreateHold` returns. */
export type HoldRefusalCode =
  | 'insufficient_stock'
  | 'product_not_found'
  | 'idempotency_key_reuse'
  // Drops, in the order they are checked after product_not_found.
  | 'sale_not_started'
  | 'sale_ended'
  | 'buyer_required'
  | 'buyer_limit_exceeded';

interface RefusalFields {
  ok: false;
  /** The refusal's standard message, as the {@link FlashSaleError} would carry it. */
  message: string;
  /** True when the refusal is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** A hold refusal as a value; two carry details (the same as the thrown error's `details`). */
export type HoldRefusal =
  | (RefusalFields & { code: Exclude<HoldRefusalCode, 'sale_not_started' | 'buyer_limit_exceeded'> })
  // Drops.
  | (RefusalFields & {
      code: 'sale_not_started';
      /** When the sale opens. */
      startsAt: EpochMs;
      /** How long until then, by the engine's clock when the answer was made (0 if it has just opened). */
      retryAfterMs: number;
    })
  | (RefusalFields & {
      code: 'buyer_limit_exceeded';
      /** The product's per-buyer limit. */
      limit: number;
      /** How many more units this buyer may hold now. */
      remaining: number;
    });

/** A hold request's answer without exceptions: the hold, or the refusal `createHold` would throw. */
export type HoldAttempt = { ok: true; hold: HoldCreated } | HoldRefusal;

export interface OrderCreated {
  orderId: number;
  holdId: number;
  productId: number;
  qty: number;
  status: OrderStatus;
  amountCents: number;
  /** The amount as a decimal string, such as "199.98". */
  amount: string;
  paymentDeadline: EpochMs;
  replayed: boolean;
}

export interface PaymentApplied {
  orderId: number;
  orderStatus: OrderStatus;
  effect: PaymentEffect;
  replayed: boolean;
}

export interface ReleaseSummary {
  holds: number;
  orders: number;
  units: number;
  purgedIdempotency: number;
  // Events for the merchant: events older than the retention, deleted by this pass.
  purgedEvents: number;
}

export interface VerifyReport {
  ok: boolean;
  products: number;
  violations: Violation[];
}

/** The engine: every use case of a flash sale, over any {@link FlashSaleStore}. */
export interface FlashSale {
  getProduct(id: number): Promise<Product>;
  /** Reserves stock for a short time. Rejects with a {@link FlashSaleError} when refused. */
  createHold(input: HoldInput): Promise<HoldCreated>;
  /**
   * `createHold` for hot paths: a refusal (sold out, no such product, a key reused) is returned,
   * not thrown, which in a sold-out stampede saves an Error and a rejected promise per request.
   * Invalid input and storage failures still reject with a {@link FlashSaleError}.
   *
   * @example
   * const attempt = await sale.tryCreateHold({ productId: 1, qty: 2 });
   * if (!attempt.ok && attempt.code === 'insufficient_stock') showSoldOut();
   */
  tryCreateHold(input: HoldInput): Promise<HoldAttempt>;
  createOrder(input: OrderInput): Promise<OrderCreated>;
  applyPayment(input: PaymentInput): Promise<PaymentApplied>;
  /** One expiry pass: releases every expired hold and overdue order, purges old idempotency records. */
  releaseExpired(): Promise<ReleaseSummary>;
  /** The audit of the inventory invariants (conservation and the rest): every violation found, none when all hold. */
  verify(): Promise<VerifyReport>;
  createProduct(input: ProductInput): Promise<Product>;
  restock(input: RestockInput): Promise<Product>;
  // Drops.
  /**
   * Changes a product's name, price, sale window or per-buyer limit, in one atomic unit. Rejects
   * with `invalid_sale_window` when the window, merged with the stored values, would end at or
   * before its start, and `product_not_found`. The next hold request anywhere sees the change.
   *
   * @example
   * await sale.updateProduct({ productId: 1, saleStartsAt: Date.parse('2030-01-01T09:00:00Z'), maxPerBuyer: 2 });
   */
  updateProduct(input: UpdateProductInput): Promise<Product>;
  /** Resolves when storage answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** The settings in force, defaults filled in. */
  readonly options: EngineSettings;

  // Hold lifecycle: the buyer's side of a hold, each proven by the hold's token.

  /**
   * Gives the hold's stock back at once. A repeat answers the same, with `effect: 'none'`.
   * Refused: `invalid_hold` (unknown hold or wrong token), `hold_used`, `hold_expired`.
   *
   * @example
   * await sale.releaseHold({ holdId: hold.holdId, token: hold.token }); // the stock is back on sale
   */
  releaseHold(input: HoldTokenInput): Promise<HoldReleased>;
  /**
   * Moves the hold's expiry to now + `holdTtlMs`, never past its creation + `holdMaxLifetimeMs`.
   * Refused: `hold_extension_limit` (the cap is reached), `invalid_hold`, `hold_used`,
   * `hold_released`, `hold_expired`.
   */
  extendHold(input: HoldTokenInput): Promise<HoldExtended>;
  /** Where a hold stands. A hold past its expiry reads `expired` before any pass ran. Refused: `invalid_hold`. */
  getHold(input: HoldTokenInput): Promise<HoldState>;
  /** Where an order stands, for the token of its hold. Refused: `invalid_order` (unknown order or wrong token). */
  getOrder(input: OrderTokenInput): Promise<OrderState>;

  // Events for the merchant.
  /**
   * The merchant events after position `after` (default 0: from the oldest kept), at most `limit`
   * (default 100, at most 1000), in position order. Read on from `next`: an event committed later
   * always gets a position above it, so a consumer that keeps `next` never misses one.
   *
   * @example
   * let after = 0;
   * for (;;) {
   *   const page = await sale.readEvents({ after });
   *   for (const event of page.events) handle(event); // event.type, event.data.orderId, ...
   *   after = page.next;
   *   if (page.events.length === 0) await sleep(1000);
   * }
   */
  readEvents(input?: ReadEventsInput): Promise<MerchantEventPage>;
  /**
   * Pushes every event committed from now on to each sink (an outbound webhook, a NATS subject),
   * at least once, an order's events in order, retrying with back-off until `maxAgeMs`. The queue
   * is in the store: several processes on one database share it, each attempt made by one of them.
   *
   * @example
   * const delivery = await sale.startEventDelivery({ sinks: [webhookSink({ url, secret })] });
   * // on shutdown, before sale.close():
   * await delivery.stop();
   */
  startEventDelivery(options: EventDeliveryOptions): Promise<EventDelivery>;
  /**
   * Sends the events from position `from` on again, to every sink the store knows (or `sink`).
   * Answers how many sinks will get them.
   */
  redeliverEvents(input: RedeliverEventsInput): Promise<number>;
}

export interface RedeliverEventsInput {
  /** The first position to send again (1 or more). */
  from: number;
  /** Only this sink's id; default every sink. */
  sink?: string;
}

// Events for the merchant: what `readEvents` takes and answers.

export interface ReadEventsInput {
  /** The last position already seen; 0 (the default) reads from the oldest event kept. */
  after?: number;
  /** At most this many events, 1 to 1000. Default 100. */
  limit?: number;
}

export interface MerchantEventPage {
  events: MerchantEvent[];
  /** The position to read on from: the last event's, or `after` when there was none. */
  next: number;
}

// Hold lifecycle: the inputs and answers of the buyer's side of a hold.

export interface HoldTokenInput {
  holdId: number;
  /** The hold's secret, from its creation. */
  token: string;
}

export interface OrderTokenInput {
  orderId: number;
  /** The secret of the order's hold. */
  token: string;
}

export interface HoldReleased {
  holdId: number;
  productId: number;
  qty: number;
  status: 'released';
  /** `released`: this call gave the stock back. `none`: an earlier release had. */
  effect: 'released' | 'none';
}

export interface HoldExtended {
  holdId: number;
  expiresAt: EpochMs;
}

export interface HoldState {
  holdId: number;
  productId: number;
  qty: number;
  status: HoldStatus;
  expiresAt: EpochMs;
  /** The order the hold became; null until it is converted. */
  orderId: number | null;
}

/** An order as its buyer reads it: an {@link OrderCreated} without the replay flag. */
export type OrderState = Omit<OrderCreated, 'replayed'>;


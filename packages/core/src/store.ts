import type { EpochMs, HoldRecord, OrderRecord, PaymentStatus, ProductRecord } from './domain.js';
import type { IdempotencyKey, Replayable } from './idempotency.js';
import type { StoredMerchantEvent } from './merchant-events.js';
import type { HoldLifetime } from './rules.js';

/**
 * The storage port: everything the engine needs from a database. Every method is ONE atomic unit;
 * the adapter chooses how (a guarded single statement, `BEGIN IMMEDIATE`, `FOR UPDATE`,
 * `SKIP LOCKED`). The engine passes `now` in: a store never reads the wall clock, so tests can
 * move time without sleeping. Rules come from `rules.ts`; stores apply them to locked rows.
 */
export interface FlashSaleStore {
  /** A short name for logs and reports, such as "sqlite" or "postgres". */
  readonly kind: string;

  /** What this store does beyond the port's minimum, declared rather than found out. */
  readonly capabilities: StoreCapabilities;

  /**
   * The store's database, lent to parts that keep state of their own beside its tables and must
   * share it with every process on that database (the HTTP server's rate-limit counters). Absent
   * when the database is this process's alone (SQLite).
   */
  readonly sharedDatabase?: SharedDatabase;

  getProduct(id: number): Promise<ProductRecord | undefined>;

  /**
   * Takes stock for each request, in array order, first-fit: a request is granted when the stock
   * left after the earlier ones covers it, refused otherwise. The result equals running the
   * requests one at a time in that order. Outcomes come back in the same order.
   */
  reserveHolds(requests: readonly ReserveRequest[]): Promise<Replayable<ReserveOutcome>[]>;

  /** Turns an active hold into a pending order, per `decideOrder`. */
  createOrder(request: CreateOrderRequest): Promise<Replayable<CreateOrderOutcome>>;

  /** Applies a payment outcome to an order, per `decidePayment`. Always keyed. */
  applyPayment(request: ApplyPaymentRequest): Promise<Replayable<PaymentOutcome>>;

  /**
   * Releases up to `limit` active holds past their expiry and up to `limit` pending orders past
   * their payment deadline, each exactly once even when several passes run at the same time.
   */
  releaseExpired(request: { now: EpochMs; limit: number }): Promise<ReleaseCounts>;

  /** Deletes up to `limit` idempotency records created before `before`. Returns how many. */
  purgeIdempotency(request: { before: EpochMs; limit: number }): Promise<number>;

  createProduct(request: CreateProductRequest): Promise<ProductRecord>;

  /** Adds stock; undefined when the product does not exist. `now` stamps its event. */
  restock(request: RestockRequest): Promise<ProductRecord | undefined>;

  // Drops: change a product's name, price, sale window or per-buyer limit.
  /**
   * Applies `changes` to the stored product per `applyProductChanges` (drops.ts), in one atomic
   * unit: the merged window is checked against the values read in that unit, so two admins
   * changing the start and the end at once cannot leave an end before the start.
   */
  updateProduct(request: UpdateProductRequest): Promise<UpdateProductOutcome>;

  /** The totals `verify` checks, read in one consistent snapshot. */
  auditSnapshot(): Promise<AuditSnapshot>;

  /** Resolves when storage answers; rejects otherwise. */
  ping(): Promise<void>;

  close(): Promise<void>;

  // Hold lifecycle: the buyer's side of a hold. Each is one atomic unit, deciding on the hold row
  // it has locked (or read, for the two reads) with the core's rules.

  /**
   * Gives an active hold's stock back at once, per `decideRelease`: the hold becomes `released`
   * and its units return to the product in the same unit, exactly once whatever races it (an
   * order on the hold, an expiry pass, another release).
   */
  releaseHold(request: ReleaseHoldRequest): Promise<ReleaseHoldOutcome>;

  /** Moves an active hold's expiry, per `decideExtend` applied to the locked row. */
  extendHold(request: ExtendHoldRequest): Promise<ExtendHoldOutcome>;

  /** A hold and the id of its order, per `holdAsSeen`. */
  getHold(request: GetHoldRequest): Promise<HoldReading>;

  /** An order, for the token of its hold, per `orderAsSeen`. */
  getOrder(request: GetOrderRequest): Promise<OrderReading>;

  // Events for the merchant: every unit above that changes what a merchant cares about appends
  // its events (merchant-events.ts) in its own transaction, stamped with the unit's `now`.

  /**
   * Up to `limit` events with a position above `after`, in position order. Positions only ever
   * grow in commit order: an event that commits after a read got a position above every one that
   * read could see, so reading on from the last position seen never skips one.
   */
  readMerchantEvents(request: { after: number; limit: number }): Promise<StoredMerchantEvent[]>;

  /**
   * Deletes up to `limit` events created before `before`, and with them their deliveries (every
   * delivery row whose position is at or below the highest position purged), in one unit.
   * Returns how many events.
   */
  purgeMerchantEvents(request: { before: EpochMs; limit: number }): Promise<number>;

  // Events for the merchant, pushed: each sink (an outbound webhook URL, a NATS subject) has a
  // queue of deliveries in the store, one row per (sink, event), so a slow or dead receiver costs
  // rows, never memory, and several processes share the work (event-delivery.ts drives them).

  /**
   * Creates the sink's cursor at the newest event position when the sink is new (a new sink gets
   * the events that commit from now on; `redeliverEvents` sends older ones). Idempotent: a known
   * sink keeps its cursor. Safe to race from several processes.
   */
  registerEventSink(request: { sink: string; now: EpochMs }): Promise<void>;

  /**
   * In one unit: first enqueues, for a registered sink, a delivery for every event after its
   * cursor (up to a bounded batch, in position order; when another process holds the cursor it
   * skips this step), then claims up to `limit` deliveries that are due (`state = pending` and
   * `nextAttemptAt <= now`), in position order, skipping rows another transaction has locked,
   * and only the first pending delivery of each ordering key (an order's events go one at a time,
   * in position order). A claimed delivery gets `attempts + 1` and `nextAttemptAt = leaseUntil`,
   * so no other claim takes it before the lease ends (a process that died mid-attempt leaves it
   * to be claimed again then). Answers each claimed delivery with its event and attempt number.
   * An unregistered sink claims nothing.
   */
  claimEventDeliveries(request: ClaimEventDeliveriesRequest): Promise<ClaimedEventDelivery[]>;

  /**
   * Records the outcome of claimed attempts, in one unit. A settlement only applies to the row as
   * claimed (same sink, position and attempt number, still pending): a late answer of an attempt
   * whose lease ended and which was claimed again changes nothing.
   */
  settleEventDeliveries(request: { sink: string; now: EpochMs; settlements: readonly EventDeliverySettlement[] }): Promise<void>;

  /**
   * Sends the events from position `from` on again: moves the cursor of every registered sink
   * (or only `sink`) back to `from - 1` when it is past it and deletes that sink's delivered and
   * dead deliveries at or after `from`, so the next claims enqueue them afresh; pending ones stay
   * as they are. Answers how many sinks it touched.
   */
  redeliverEvents(request: { from: number; now: EpochMs; sink?: string }): Promise<number>;

  /** What a sink has left to deliver, for metrics; read without locks. */
  eventDeliveryBacklog(request: { sink: string }): Promise<EventDeliveryBacklog>;
}

/**
 * Capabilities a store declares. The engine and the conformance suite read them; a suite case
 * that depends on one checks the behaviour the store declares, so nothing is silently skipped.
 */
export interface StoreCapabilities {
  /**
   * Every decided `reserveHolds` outcome carries `stockLeft`. The coalescer then knows when a
   * product sold out and lets the next requests for it gather into one call.
   */
  readonly reportsStockLeft: boolean;
  /**
   * `releaseExpired` skips rows another transaction holds (`FOR UPDATE SKIP LOCKED`) instead of
   * waiting for them: concurrent passes split the work, and a row a concurrent request has locked
   * is left to the next pass.
   */
  readonly skipsLockedRows: boolean;
}

/** A SQL connection pool, as the borrower of {@link SharedDatabase} sees it. */
export interface SqlPoolLike {
  query(text: string, values?: readonly unknown[]): Promise<unknown>;
}

/** A callback-style pool (mysql2's, under its promise wrapper), as the borrower sees it. */
export interface CallbackPoolLike {
  getConnection(callback: (error: Error | null, connection: unknown) => void): void;
}

/**
 * The store's database, lent: `pool` is the store's own (borrowed, never ended by the borrower);
 * `schema` holds the store's tables (a PostgreSQL schema, a MySQL database), where the borrower may
 * create its own.
 */
export type SharedDatabase =
  | { readonly dialect: 'postgres'; readonly pool: SqlPoolLike; readonly schema: string }
  | { readonly dialect: 'mysql'; readonly pool: CallbackPoolLike; readonly schema: string };

export interface ReserveRequest {
  productId: number;
  qty: number;
  tokenHash: string;
  /** When the request arrived, by the engine's clock: the sale window judges it at this instant. */
  createdAt: EpochMs;
  expiresAt: EpochMs;
  idempotency?: IdempotencyKey<'hold'>;
  // Drops: who the hold is for, counted against the product's per-buyer limit.
  buyerId?: string;
}

/**
 * `stockLeft` is the product's available stock right after this request was decided. It is
 * optional; when a store gives it, the coalescer knows the product sold out and lets the next
 * requests for it gather into one store call. It only ever shapes timing, never an answer.
 */
export type ReserveOutcome =
  | { kind: 'held'; hold: HoldRecord; stockLeft?: number }
  | { kind: 'refused'; code: 'product_not_found' }
  | { kind: 'refused'; code: 'insufficient_stock'; stockLeft?: number }
  // Drops: refusals of the sale window and the per-buyer limit.
  | { kind: 'refused'; code: 'sale_not_started'; startsAt: EpochMs }
  | { kind: 'refused'; code: 'sale_ended' }
  | { kind: 'refused'; code: 'buyer_required' }
  | { kind: 'refused'; code: 'buyer_limit_exceeded'; limit: number; remaining: number };

export interface RestockRequest {
  productId: number;
  qty: number;
  now: EpochMs;
}

export interface CreateProductRequest {
  name: string;
  priceCents: number;
  stock: number;
  // Drops: absent means null (no window, no limit).
  saleStartsAt?: EpochMs | null;
  saleEndsAt?: EpochMs | null;
  maxPerBuyer?: number | null;
}

// Drops: what `updateProduct` takes and answers.
/** The fields to change; an absent field stays as stored, a null one is cleared. */
export interface ProductChanges {
  name?: string;
  priceCents?: number;
  saleStartsAt?: EpochMs | null;
  saleEndsAt?: EpochMs | null;
  maxPerBuyer?: number | null;
}

export interface UpdateProductRequest {
  productId: number;
  changes: ProductChanges;
}

export type UpdateProductOutcome =
  | { kind: 'updated'; product: ProductRecord }
  | { kind: 'refused'; code: 'product_not_found' | 'invalid_sale_window' };

export interface CreateOrderRequest {
  holdId: number;
  tokenHash: string;
  now: EpochMs;
  paymentDeadline: EpochMs;
  idempotency?: IdempotencyKey<'order'>;
}

export type CreateOrderOutcome =
  | { kind: 'created'; order: OrderRecord }
  | {
      kind: 'refused';
      code:
        | 'invalid_hold'
        | 'hold_expired'
        | 'hold_used'
        // Hold lifecycle.
        | 'hold_released';
    };

export interface ApplyPaymentRequest {
  orderId: number;
  status: PaymentStatus;
  txnId: string | null;
  now: EpochMs;
  idempotency: IdempotencyKey<'payment'>;
}

/**
 * completed / failed / none: the order after a plain payment. retaken: an expired order was paid
 * and got its stock back. refund_due: an expired order was paid but the stock was gone.
 */
export type PaymentEffect = 'completed' | 'failed' | 'retaken' | 'refund_due' | 'none';

export type PaymentOutcome =
  | { kind: 'applied'; order: OrderRecord; effect: PaymentEffect }
  | { kind: 'refused'; code: 'order_not_found' }
  | { kind: 'refused'; code: 'payment_conflict'; order: OrderRecord };

export interface ReleaseCounts {
  /** Holds released, and the units of stock they returned. */
  holds: number;
  holdUnits: number;
  /** Pending orders released at their payment deadline, and the units they returned. */
  orders: number;
  orderUnits: number;
}

export interface ProductAudit {
  productId: number;
  initialStock: number;
  restocked: number;
  available: number;
  activeHoldQty: number;
  pendingOrderQty: number;
  completedOrderQty: number;
}

export interface AuditSnapshot {
  products: ProductAudit[];
  /** Ids of converted holds that have no order. */
  convertedHoldsWithoutOrder: number[];
  /** Ids of orders whose hold is not marked converted. */
  ordersOnUnconvertedHolds: number[];
  /** Ids of holds that carry more than one order. */
  holdsWithSeveralOrders: number[];
  /** Ids of orders whose qty or product differ from their hold's. */
  ordersNotMatchingHold: number[];
}

// Hold lifecycle: the requests and answers of the buyer's side of a hold.

export interface ReleaseHoldRequest {
  holdId: number;
  tokenHash: string;
  now: EpochMs;
}

/**
 * released: the hold is released; `effect` says whether this call gave its stock back
 * (`released`) or found it given back already (`none`, a repeat).
 */
export type ReleaseHoldOutcome =
  | { kind: 'released'; hold: HoldRecord; effect: 'released' | 'none' }
  | { kind: 'refused'; code: 'invalid_hold' | 'hold_used' | 'hold_expired' };

/**
 * The store computes the new expiry from the locked row (`decideExtend`), since the cap counts
 * from the hold's `createdAt`, which the engine does not know without reading the row first.
 */
export interface ExtendHoldRequest extends HoldLifetime {
  holdId: number;
  tokenHash: string;
  now: EpochMs;
}

export type ExtendHoldOutcome =
  | { kind: 'extended'; hold: HoldRecord }
  | { kind: 'refused'; code: 'invalid_hold' | 'hold_used' | 'hold_released' | 'hold_expired' | 'hold_extension_limit' };

export interface GetHoldRequest {
  holdId: number;
  tokenHash: string;
  now: EpochMs;
}

/** `orderId` is the id of the order the hold became, null until it is converted. */
export type HoldReading = { kind: 'found'; hold: HoldRecord; orderId: number | null } | { kind: 'refused'; code: 'invalid_hold' };

export interface GetOrderRequest {
  orderId: number;
  /** The hash of the token of the order's hold. */
  tokenHash: string;
}

export type OrderReading = { kind: 'found'; order: OrderRecord } | { kind: 'refused'; code: 'invalid_order' };

// Events for the merchant, pushed: the delivery queue's requests and answers.

export interface ClaimEventDeliveriesRequest {
  sink: string;
  now: EpochMs;
  /** When a claimed attempt that was never settled may be claimed again. */
  leaseUntil: EpochMs;
  limit: number;
}

export interface ClaimedEventDelivery {
  event: StoredMerchantEvent;
  /** 1 for the first attempt, counting every claim since the delivery was enqueued. */
  attempt: number;
}

export type EventDeliverySettlement =
  | { position: number; attempt: number; outcome: 'delivered' }
  /** Failed; try again at `retryAt`. `error` is a short reason (never a secret) kept for the operator. */
  | { position: number; attempt: number; outcome: 'retry'; retryAt: EpochMs; error: string }
  /** Failed past the maximum age: never tried again. */
  | { position: number; attempt: number; outcome: 'dead'; error: string };

export interface EventDeliveryBacklog {
  /** Deliveries enqueued and not yet delivered or dead. */
  pending: number;
  /**
   * The creation time of the oldest event the sink has not received: the oldest pending delivery
   * or event not yet enqueued after the cursor. Undefined when there is none (or the sink is unknown).
   */
  oldestUndeliveredAt: EpochMs | undefined;
  /** The newest event position the store has given out: how many events were appended, give or take purges. */
  lastPosition: number;
}

import type { EpochMs, OrderRecord, OrderStatus, PaymentStatus, ProductRecord } from './domain.js';
import { errorMessage, FlashSaleError, flashSaleError } from './errors.js';
import type { EventListener, FlashSaleEvent } from './events.js';
import { findViolations, type Violation } from './audit.js';
import { HoldCoalescer } from './hold-coalescer.js';
import {
  fingerprintRequest,
  hashIdempotencyKey,
  openWithKey,
  sealWithKey,
  type IdempotencyScope,
  type IdempotencyWrite,
  type Replayable,
} from './idempotency.js';
import { formatCents, parseCents } from './money.js';
import type { CreateOrderOutcome, FlashSaleStore, PaymentEffect, PaymentOutcome, ReserveOutcome } from './store.js';
import { generateHoldToken, hashToken } from './tokens.js';
import {
  createProductInputSchema,
  holdInputSchema,
  idSchema,
  isPlainHoldInput,
  orderInputSchema,
  parseInput,
  paymentInputSchema,
  restockInputSchema,
} from './validation.js';

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
}

export interface Product {
  id: number;
  name: string;
  priceCents: number;
  /** The price as a decimal string, such as "99.99". */
  price: string;
  availableStock: number;
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
export type HoldRefusalCode = 'insufficient_stock' | 'product_not_found' | 'idempotency_key_reuse';

/** A hold request's answer without exceptions: the hold, or the refusal `createHold` would throw. */
export type HoldAttempt =
  | { ok: true; hold: HoldCreated }
  | {
      ok: false;
      code: HoldRefusalCode;
      /** The refusal's standard message, as the {@link FlashSaleError} would carry it. */
      message: string;
      /** True when the refusal is the stored answer of an earlier request with the same key. */
      replayed: boolean;
    };

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
  createHold(input: { productId: number; qty: number; idempotencyKey?: string }): Promise<HoldCreated>;
  /**
   * `createHold` for hot paths: a refusal (sold out, no such product, a key reused) is returned,
   * not thrown, which in a sold-out stampede saves an Error and a rejected promise per request.
   * Invalid input and storage failures still reject with a {@link FlashSaleError}.
   *
   * @example
   * const attempt = await sale.tryCreateHold({ productId: 1, qty: 2 });
   * if (!attempt.ok && attempt.code === 'insufficient_stock') showSoldOut();
   */
  tryCreateHold(input: { productId: number; qty: number; idempotencyKey?: string }): Promise<HoldAttempt>;
  createOrder(input: { holdId: number; token: string; idempotencyKey?: string }): Promise<OrderCreated>;
  applyPayment(input: {
    orderId: number;
    status: PaymentStatus;
    txnId?: string | null;
    idempotencyKey: string;
  }): Promise<PaymentApplied>;
  /** One expiry pass: releases every expired hold and overdue order, purges old idempotency records. */
  releaseExpired(): Promise<ReleaseSummary>;
  /** The audit of the inventory invariants (conservation and the rest): every violation found, none when all hold. */
  verify(): Promise<VerifyReport>;
  createProduct(input: { name: string; price: string | number; stock: number }): Promise<Product>;
  restock(input: { productId: number; qty: number }): Promise<Product>;
  /** Resolves when storage answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly options: Readonly<Required<Omit<FlashSaleOptions, 'store' | 'onEvent' | 'generateToken' | 'clock'>>>;
}

/**
 * Creates the engine.
 *
 * @example
 * // The store comes from an adapter package: openSqliteStore (@flashsale/adapter-sqlite) or
 * // openPostgresStore (@flashsale/adapter-postgres). The core itself knows no database.
 * const sale = createFlashSale({ store: openSqliteStore({ filename: 'shop.db' }) });
 * const product = await sale.createProduct({ name: 'Sneaker', price: '99.99', stock: 50 });
 * const hold = await sale.createHold({ productId: product.id, qty: 2 });
 * const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
 * await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: 'pay-1' });
 */
export function createFlashSale(options: FlashSaleOptions): FlashSale {
  const store = options.store;
  const settings = {
    holdTtlMs: options.holdTtlMs ?? 120_000,
    paymentTtlMs: options.paymentTtlMs ?? 900_000,
    idempotencyTtlMs: options.idempotencyTtlMs ?? 86_400_000,
    maxHoldQty: options.maxHoldQty ?? 1_000_000,
    maxBatch: options.maxBatch ?? 256,
    releaseBatch: options.releaseBatch ?? 500,
    soldOutWindowMs: options.soldOutWindowMs ?? 10,
  };
  for (const [name, value] of Object.entries(settings)) {
    const allowZero = name === 'soldOutWindowMs';
    if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const clock = options.clock ?? Date.now;
  const generateToken = options.generateToken ?? generateHoldToken;
  const emit = options.onEvent ?? (() => {});
  const coalescer = new HoldCoalescer(store, {
    maxBatch: settings.maxBatch,
    soldOutWindowMs: settings.soldOutWindowMs,
    onBatch: (productId, size) => emit({ type: 'reserve_batch', productId, size }),
  });
  const holdSchema = holdInputSchema(settings.maxHoldQty);

  function idempotencyFor<T>(
    scope: IdempotencyScope,
    key: string,
    request: Record<string, unknown>,
    encode: (outcome: T) => string | undefined,
  ): IdempotencyWrite<T> {
    return { scope, keyHash: hashIdempotencyKey(scope, key), fingerprint: fingerprintRequest(request), encode };
  }

  /**
   * The outcome itself, or the stored one when the store found a replay of this key; undefined
   * when the key was first used with another request (idempotency_key_reuse).
   */
  function resolveReplay<T>(result: Replayable<T>, write: IdempotencyWrite<T> | undefined): { outcome: T; replayed: boolean } | undefined {
    if (result.kind === 'done') return { outcome: result.outcome, replayed: false };
    if (!write || result.fingerprint !== write.fingerprint) return undefined;
    return { outcome: JSON.parse(result.body) as T, replayed: true };
  }

  function refuse(code: FlashSaleError['code'], replayed: boolean): never {
    throw flashSaleError(code, { replayed });
  }

  async function getProduct(id: number): Promise<Product> {
    const productId = parseInput(idSchema, id);
    const record = await store.getProduct(productId);
    if (!record) throw flashSaleError('product_not_found');
    return toProduct(record);
  }

  async function tryCreateHold(input: { productId: number; qty: number; idempotencyKey?: string }): Promise<HoldAttempt> {
    const { productId, qty, idempotencyKey } = isPlainHoldInput(input, settings.maxHoldQty)
      ? { productId: input.productId, qty: input.qty, idempotencyKey: undefined }
      : parseInput(holdSchema, input);
    const now = clock();
    const token = generateToken();
    const write =
      idempotencyKey === undefined
        ? undefined
        : idempotencyFor<ReserveOutcome>('hold', idempotencyKey, { productId, qty }, (outcome) =>
            outcome.kind === 'held'
              ? JSON.stringify({ ...outcome, hold: { ...outcome.hold, tokenHash: '' }, sealedToken: sealWithKey(idempotencyKey, token) })
              : undefined,
          );
    const result = await coalescer.reserve({
      productId,
      qty,
      tokenHash: hashToken(token),
      createdAt: now,
      expiresAt: now + settings.holdTtlMs,
      ...(write ? { idempotency: write } : {}),
    });
    const resolved = resolveReplay(result, write);
    if (!resolved) return refusal('idempotency_key_reuse', false);
    const { outcome, replayed } = resolved;
    if (outcome.kind === 'refused') {
      emit({ type: 'hold_rejected', productId, reason: outcome.code });
      return refusal(outcome.code, replayed);
    }
    const hold = outcome.hold;
    if (!replayed) emit({ type: 'hold_created', productId, qty });
    const sealed = (outcome as { sealedToken?: string }).sealedToken;
    return {
      ok: true,
      hold: {
        holdId: hold.id,
        token: replayed && sealed && idempotencyKey ? openWithKey(idempotencyKey, sealed) : token,
        productId: hold.productId,
        qty: hold.qty,
        expiresAt: hold.expiresAt,
        replayed,
      },
    };
  }

  async function createHold(input: { productId: number; qty: number; idempotencyKey?: string }): Promise<HoldCreated> {
    const attempt = await tryCreateHold(input);
    if (!attempt.ok) refuse(attempt.code, attempt.replayed);
    return attempt.hold;
  }

  async function createOrder(input: { holdId: number; token: string; idempotencyKey?: string }): Promise<OrderCreated> {
    const { holdId, token, idempotencyKey } = parseInput(orderInputSchema, input);
    const now = clock();
    const tokenHash = hashToken(token);
    const write =
      idempotencyKey === undefined
        ? undefined
        : idempotencyFor<CreateOrderOutcome>('order', idempotencyKey, { holdId, tokenHash }, (outcome) =>
            outcome.kind === 'created' ? JSON.stringify(outcome) : undefined,
          );
    const result = await store.createOrder({
      holdId,
      tokenHash,
      now,
      paymentDeadline: now + settings.paymentTtlMs,
      ...(write ? { idempotency: write } : {}),
    });
    const { outcome, replayed } = resolveReplay(result, write) ?? refuse('idempotency_key_reuse', false);
    if (outcome.kind === 'refused') refuse(outcome.code, replayed);
    return { ...toOrderCreated(outcome.order), replayed };
  }

  async function applyPayment(input: {
    orderId: number;
    status: PaymentStatus;
    txnId?: string | null;
    idempotencyKey: string;
  }): Promise<PaymentApplied> {
    const { orderId, status, txnId, idempotencyKey } = parseInput(paymentInputSchema, input);
    const write = idempotencyFor<PaymentOutcome>('payment', idempotencyKey, { orderId, status, txnId: txnId ?? null }, (outcome) =>
      outcome.kind === 'refused' && outcome.code === 'order_not_found' ? undefined : JSON.stringify(outcome),
    );
    const result = await store.applyPayment({ orderId, status, txnId: txnId ?? null, now: clock(), idempotency: write });
    const { outcome, replayed } = resolveReplay(result, write) ?? refuse('idempotency_key_reuse', false);
    if (outcome.kind === 'refused') refuse(outcome.code, replayed);
    if (!replayed && outcome.effect === 'failed') {
      emit({ type: 'stock_released', cause: 'payment_failed', units: outcome.order.qty });
    }
    return { orderId: outcome.order.id, orderStatus: outcome.order.status, effect: outcome.effect, replayed };
  }

  async function releaseExpired(): Promise<ReleaseSummary> {
    const now = clock();
    const limit = settings.releaseBatch;
    const summary: ReleaseSummary = { holds: 0, orders: 0, units: 0, purgedIdempotency: 0 };
    for (;;) {
      const counts = await store.releaseExpired({ now, limit });
      summary.holds += counts.holds;
      summary.orders += counts.orders;
      summary.units += counts.holdUnits + counts.orderUnits;
      if (counts.holdUnits > 0) emit({ type: 'stock_released', cause: 'hold_expired', units: counts.holdUnits });
      if (counts.orderUnits > 0) emit({ type: 'stock_released', cause: 'order_expired', units: counts.orderUnits });
      if (counts.holds < limit && counts.orders < limit) break;
    }
    for (;;) {
      const purged = await store.purgeIdempotency({ before: now - settings.idempotencyTtlMs, limit });
      summary.purgedIdempotency += purged;
      if (purged < limit) break;
    }
    emit({ type: 'release_pass', ...summary });
    return summary;
  }

  async function verify(): Promise<VerifyReport> {
    const snapshot = await store.auditSnapshot();
    const violations = findViolations(snapshot);
    return { ok: violations.length === 0, products: snapshot.products.length, violations };
  }

  async function createProduct(input: { name: string; price: string | number; stock: number }): Promise<Product> {
    const { name, price, stock } = parseInput(createProductInputSchema, input);
    const priceCents = typeof price === 'number' ? price : parseCents(price);
    return toProduct(await store.createProduct({ name, priceCents, stock }));
  }

  async function restock(input: { productId: number; qty: number }): Promise<Product> {
    const { productId, qty } = parseInput(restockInputSchema, input);
    const record = await store.restock({ productId, qty });
    if (!record) throw flashSaleError('product_not_found');
    return toProduct(record);
  }

  return {
    getProduct,
    createHold,
    tryCreateHold,
    createOrder,
    applyPayment,
    releaseExpired,
    verify,
    createProduct,
    restock,
    ping: () => store.ping(),
    close: () => store.close(),
    options: settings,
  };
}

/** The refusals a hold can get, built once: in a sold-out stampede every request gets one. */
const REFUSALS = new Map(
  (['insufficient_stock', 'product_not_found', 'idempotency_key_reuse'] as const).flatMap((code) =>
    [false, true].map((replayed) => [`${code}:${replayed}`, Object.freeze({ ok: false, code, message: errorMessage(code), replayed })] as const),
  ),
);

function refusal(code: HoldRefusalCode, replayed: boolean): HoldAttempt {
  return REFUSALS.get(`${code}:${replayed}`)!;
}

function toProduct(record: ProductRecord): Product {
  return { ...record, price: formatCents(record.priceCents) };
}

function toOrderCreated(order: OrderRecord): Omit<OrderCreated, 'replayed'> {
  return {
    orderId: order.id,
    holdId: order.holdId,
    productId: order.productId,
    qty: order.qty,
    status: order.status,
    amountCents: order.amountCents,
    amount: formatCents(order.amountCents),
    paymentDeadline: order.paymentDeadline,
  };
}

export type { FlashSaleEvent };

import { randomUUID } from 'node:crypto';
import type { HoldRecord, OrderRecord, OrderStatus, ProductRecord } from '../domain.js';
import { applyProductChanges, buyerUnitsKey } from '../drops.js';
import { buyersToCount, idempotencyKeyId, planReservations, reservationOutcome } from '../reservation-plan.js';
import type { IdempotencyKey, IdempotencyScope, Replayable } from '../idempotency.js';
import type { MerchantEventType, StoredMerchantEvent } from '../merchant-events.js';
import { decideExtend, decideOrder, decidePayment, decideRelease, holdAsSeen, orderAsSeen } from '../rules.js';
import { storedAnswer, type OutcomeOfScope } from '../stored-answer.js';
import type { AuditSnapshot, ClaimedEventDelivery, CreateOrderOutcome, ExtendHoldOutcome, FlashSaleStore, PaymentOutcome, ReleaseCounts, ReleaseHoldOutcome } from '../store.js';

interface ProductRow extends ProductRecord {
  initialStock: number;
  restocked: number;
}

interface StoredRecord {
  fingerprint: string;
  body: string;
  createdAt: number;
}

/** An in-memory store, with the rows it keeps, for tests that look inside. */
export interface MemoryStore extends FlashSaleStore {
  readonly kind: 'memory';
  /** Changes a product's available stock behind the engine's back (for audit tests). */
  tamperAvailable(productId: number, delta: number): void;
}

interface MemoryDelivery {
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  nextAttemptAt: number;
  orderingKey: string | undefined;
  deliveredAt?: number;
  lastError?: string;
}

/** Events enqueued per claim, as the SQL stores bound it. */
const DELIVERY_ENQUEUE_BATCH = 1000;

/** An order's events are delivered one at a time, in order; other events in any order. */
const orderingKey = (event: StoredMerchantEvent): string | undefined => (typeof event.data.order_id === 'number' ? `order:${event.data.order_id}` : undefined);

/**
 * The reference store: the storage port on plain maps, written to be obviously right rather than
 * fast. Every method runs to completion without yielding, so each is atomic in a single process;
 * the rules (`decideOrder`, `decidePayment`, `decideRelease`, `decideExtend`, `planReservations`,
 * `isRemembered`) are the core's,
 * the same the database adapters apply. Use it to test code above the port without a database,
 * and as the suite's own check: the conformance suite passes on it.
 *
 * @example
 * import { createFlashSale } from '@flashsale/core';
 * import { openMemoryStore } from '@flashsale/core/testing';
 * const sale = createFlashSale({ store: openMemoryStore() });
 */
export function openMemoryStore(): MemoryStore {
  const products = new Map<number, ProductRow>();
  const holds = new Map<number, HoldRecord>();
  const orders = new Map<number, OrderRecord>();
  const records = new Map<string, StoredRecord>();
  // Drops: the buyer each hold was for (its orders reach it through the hold).
  const holdBuyers = new Map<number, string>();
  // Events for the merchant: one writer at a time, so append order is commit order.
  const events: StoredMerchantEvent[] = [];
  const ids = { product: 0, hold: 0, order: 0, event: 0 };
  // Events for the merchant, pushed: each sink's cursor and its deliveries by position.
  const sinkCursors = new Map<string, number>();
  const deliveries = new Map<string, Map<number, MemoryDelivery>>();
  let closed = false;

  /** Runs `work` as one atomic unit: nothing else runs until it returns. */
  const unit = <T>(work: () => T): Promise<T> => {
    if (closed) return Promise.reject(new Error('the memory store is closed'));
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  /** Looks the key up, acts only when it is new, and keeps the answer with the effect. */
  function keyed<S extends IdempotencyScope>(key: IdempotencyKey<S> | undefined, now: number, act: () => OutcomeOfScope[S]): Replayable<OutcomeOfScope[S]> {
    const found = key && records.get(idempotencyKeyId(key));
    if (found) return { kind: 'replay', fingerprint: found.fingerprint, body: found.body };
    const outcome = act();
    const body = key && storedAnswer(key, outcome);
    if (key && body !== undefined) records.set(idempotencyKeyId(key), { fingerprint: key.fingerprint, body, createdAt: now });
    return { kind: 'done', outcome };
  }

  const publicProduct = ({ id, name, priceCents, availableStock, saleStartsAt, saleEndsAt, maxPerBuyer }: ProductRow): ProductRecord => ({
    id,
    name,
    priceCents,
    availableStock,
    saleStartsAt,
    saleEndsAt,
    maxPerBuyer,
  });
  /** A buyer's units of a product: active holds, and the pending and completed orders on their holds. */
  const unitsOf = (productId: number, buyerId: string): number => {
    let units = 0;
    for (const hold of holds.values()) if (hold.productId === productId && hold.status === 'active' && holdBuyers.get(hold.id) === buyerId) units += hold.qty;
    for (const order of orders.values()) {
      if (order.productId === productId && (order.status === 'pending' || order.status === 'completed') && holdBuyers.get(order.holdId) === buyerId) units += order.qty;
    }
    return units;
  };
  const appendEvent = (type: MerchantEventType, createdAt: number, data: Record<string, unknown>) => {
    const position = ++ids.event;
    events.push({ id: `evt_${randomUUID().replaceAll('-', '')}`, type, createdAt, position, data });
  };
  const orderEvent = (order: OrderRecord, at: number) =>
    appendEvent(order.status === 'pending' ? 'order.created' : `order.${order.status}`, at, {
      order_id: order.id,
      hold_id: order.holdId,
      product_id: order.productId,
      qty: order.qty,
      amount_cents: order.amountCents,
      status: order.status,
    });
  /** Stock changes go through here, so a product reaching 0 is noticed wherever it happens. */
  const changeStock = (product: ProductRow, delta: number, at: number) => {
    const before = product.availableStock;
    product.availableStock += delta;
    if (before > 0 && product.availableStock === 0) appendEvent('product.sold_out', at, { product_id: product.id });
  };
  const setOrder = (order: OrderRecord, status: OrderStatus, txnId: string | null, at: number): OrderRecord => {
    const updated = { ...order, status, txnId: txnId ?? order.txnId };
    orders.set(order.id, updated);
    if (status !== order.status) orderEvent(updated, at);
    return { ...updated };
  };

  return {
    kind: 'memory',
    capabilities: { reportsStockLeft: true, skipsLockedRows: false },

    getProduct: (id) => unit(() => {
      const row = products.get(id);
      return row && publicProduct(row);
    }),

    reserveHolds: (requests) => unit(() => {
      const locked = new Map([...new Set(requests.map((r) => r.productId))].flatMap((id) => {
        const row = products.get(id);
        return row ? [[id, { available: row.availableStock, saleStartsAt: row.saleStartsAt, saleEndsAt: row.saleEndsAt, maxPerBuyer: row.maxPerBuyer }] as const] : [];
      }));
      const stored = new Set(requests.flatMap((r) => (r.idempotency && records.has(idempotencyKeyId(r.idempotency)) ? [idempotencyKeyId(r.idempotency)] : [])));
      const units = new Map(buyersToCount(requests, locked).map(({ productId, buyerId }) => [buyerUnitsKey(productId, buyerId), unitsOf(productId, buyerId)]));
      const plan = planReservations(requests, locked, stored, units);
      const latest = Math.max(...requests.map((r) => r.createdAt));
      for (const [productId, units] of plan.taken) changeStock(products.get(productId)!, -units, latest);
      const bodies = new Map<number, { fingerprint: string; body: string }>();
      return plan.decisions.map((decision, i): Replayable<OutcomeOfScope['hold']> => {
        const request = requests[i]!;
        if (decision.kind === 'replay-stored') {
          const found = records.get(idempotencyKeyId(request.idempotency!))!;
          return { kind: 'replay', fingerprint: found.fingerprint, body: found.body };
        }
        if (decision.kind === 'replay-earlier') return { kind: 'replay', ...bodies.get(decision.of)! };
        let holdId: number | undefined;
        if (decision.kind === 'grant') {
          holdId = ++ids.hold;
          holds.set(holdId, { id: holdId, productId: request.productId, qty: request.qty, status: 'active', tokenHash: request.tokenHash, createdAt: request.createdAt, expiresAt: request.expiresAt });
          if (request.buyerId !== undefined) holdBuyers.set(holdId, request.buyerId);
        }
        const outcome = reservationOutcome(request, decision, holdId);
        const key = request.idempotency;
        if (key && plan.keyOwners.get(idempotencyKeyId(key)) === i) {
          const body = storedAnswer(key, outcome)!;
          records.set(idempotencyKeyId(key), { fingerprint: key.fingerprint, body, createdAt: request.createdAt });
          bodies.set(i, { fingerprint: key.fingerprint, body });
        }
        return { kind: 'done', outcome };
      });
    }),

    createOrder: (request) => unit(() =>
      keyed(request.idempotency, request.now, (): CreateOrderOutcome => {
        const hold = holds.get(request.holdId);
        const decision = decideOrder(hold && { ...hold }, request.tokenHash, request.now);
        if (decision !== 'create' || !hold) return { kind: 'refused', code: decision === 'create' ? 'invalid_hold' : decision };
        holds.set(hold.id, { ...hold, status: 'converted' });
        const id = ++ids.order;
        const price = products.get(hold.productId)!.priceCents;
        const order: OrderRecord = { id, holdId: hold.id, productId: hold.productId, qty: hold.qty, amountCents: hold.qty * price, status: 'pending', createdAt: request.now, paymentDeadline: request.paymentDeadline, txnId: null };
        orders.set(id, order);
        orderEvent(order, request.now);
        return { kind: 'created', order: { ...order } };
      }),
    ),

    applyPayment: (request) => unit(() =>
      keyed(request.idempotency, request.now, (): PaymentOutcome => {
        const order = orders.get(request.orderId);
        if (!order) return { kind: 'refused', code: 'order_not_found' };
        const product = products.get(order.productId)!;
        switch (decidePayment(order.status, request.status)) {
          case 'complete':
            return { kind: 'applied', effect: 'completed', order: setOrder(order, 'completed', request.txnId, request.now) };
          case 'fail':
            changeStock(product, order.qty, request.now);
            return { kind: 'applied', effect: 'failed', order: setOrder(order, 'failed', request.txnId, request.now) };
          case 'retake':
            if (product.availableStock >= order.qty) {
              changeStock(product, -order.qty, request.now);
              return { kind: 'applied', effect: 'retaken', order: setOrder(order, 'completed', request.txnId, request.now) };
            }
            return { kind: 'applied', effect: 'refund_due', order: setOrder(order, 'refund_due', request.txnId, request.now) };
          case 'none':
            return { kind: 'applied', effect: 'none', order: { ...order } };
          case 'conflict':
            return { kind: 'refused', code: 'payment_conflict', order: { ...order } };
        }
      }),
    ),

    releaseExpired: ({ now, limit }) => unit((): ReleaseCounts => {
      const counts: ReleaseCounts = { holds: 0, holdUnits: 0, orders: 0, orderUnits: 0 };
      const dueHolds = [...holds.values()].filter((h) => h.status === 'active' && h.expiresAt <= now).sort((a, b) => a.expiresAt - b.expiresAt || a.id - b.id).slice(0, limit);
      for (const hold of dueHolds) {
        holds.set(hold.id, { ...hold, status: 'expired' });
        changeStock(products.get(hold.productId)!, hold.qty, now);
        counts.holds += 1;
        counts.holdUnits += hold.qty;
      }
      const dueOrders = [...orders.values()].filter((o) => o.status === 'pending' && o.paymentDeadline <= now).sort((a, b) => a.paymentDeadline - b.paymentDeadline || a.id - b.id).slice(0, limit);
      for (const order of dueOrders) {
        setOrder(order, 'expired', null, now);
        changeStock(products.get(order.productId)!, order.qty, now);
        counts.orders += 1;
        counts.orderUnits += order.qty;
      }
      return counts;
    }),

    purgeIdempotency: ({ before, limit }) => unit(() => {
      const old = [...records].filter(([, record]) => record.createdAt < before).slice(0, limit);
      for (const [id] of old) records.delete(id);
      return old.length;
    }),

    createProduct: ({ name, priceCents, stock, saleStartsAt = null, saleEndsAt = null, maxPerBuyer = null }) => unit(() => {
      const row: ProductRow = { id: ++ids.product, name, priceCents, availableStock: stock, initialStock: stock, restocked: 0, saleStartsAt, saleEndsAt, maxPerBuyer };
      products.set(row.id, row);
      return publicProduct(row);
    }),

    restock: ({ productId, qty, now }) => unit(() => {
      const row = products.get(productId);
      if (!row) return undefined;
      changeStock(row, qty, now);
      row.restocked += qty;
      appendEvent('product.restocked', now, { product_id: row.id, qty, available_stock: row.availableStock });
      return publicProduct(row);
    }),

    updateProduct: ({ productId, changes }) => unit(() => {
      const row = products.get(productId);
      if (!row) return { kind: 'refused', code: 'product_not_found' } as const;
      const outcome = applyProductChanges(publicProduct(row), changes);
      if (outcome.kind === 'updated') Object.assign(row, outcome.product);
      return outcome;
    }),

    auditSnapshot: () => unit((): AuditSnapshot => {
      const sum = (rows: Iterable<{ productId: number; qty: number }>, productId: number) => [...rows].reduce((total, row) => total + (row.productId === productId ? row.qty : 0), 0);
      const allHolds = [...holds.values()];
      const allOrders = [...orders.values()];
      const ordersByHold = new Map<number, OrderRecord[]>();
      for (const order of allOrders) ordersByHold.set(order.holdId, [...(ordersByHold.get(order.holdId) ?? []), order]);
      return {
        products: [...products.values()].map((p) => ({
          productId: p.id,
          initialStock: p.initialStock,
          restocked: p.restocked,
          available: p.availableStock,
          activeHoldQty: sum(allHolds.filter((h) => h.status === 'active'), p.id),
          pendingOrderQty: sum(allOrders.filter((o) => o.status === 'pending'), p.id),
          completedOrderQty: sum(allOrders.filter((o) => o.status === 'completed'), p.id),
        })),
        convertedHoldsWithoutOrder: allHolds.filter((h) => h.status === 'converted' && !ordersByHold.has(h.id)).map((h) => h.id),
        ordersOnUnconvertedHolds: allOrders.filter((o) => holds.get(o.holdId)?.status !== 'converted').map((o) => o.id),
        holdsWithSeveralOrders: [...ordersByHold].filter(([, list]) => list.length > 1).map(([holdId]) => holdId),
        ordersNotMatchingHold: allOrders.filter((o) => {
          const hold = holds.get(o.holdId);
          return hold !== undefined && (hold.productId !== o.productId || hold.qty !== o.qty);
        }).map((o) => o.id),
      };
    }),

    // Hold lifecycle.
    releaseHold: (request) => unit((): ReleaseHoldOutcome => {
      const hold = holds.get(request.holdId);
      const decision = decideRelease(hold && { ...hold }, request.tokenHash, request.now);
      if (decision === 'release' || decision === 'already_released') {
        const released: HoldRecord = { ...hold!, status: 'released' };
        if (decision === 'release') {
          holds.set(released.id, released);
          changeStock(products.get(released.productId)!, released.qty, request.now);
          appendEvent('hold.released', request.now, { hold_id: released.id, product_id: released.productId, qty: released.qty });
        }
        return { kind: 'released', hold: { ...released }, effect: decision === 'release' ? 'released' : 'none' };
      }
      return { kind: 'refused', code: decision };
    }),

    extendHold: (request) => unit((): ExtendHoldOutcome => {
      const hold = holds.get(request.holdId);
      const decision = decideExtend(hold && { ...hold }, request.tokenHash, request.now, request);
      if (decision.kind === 'refused') return decision;
      const extended: HoldRecord = { ...hold!, expiresAt: decision.expiresAt };
      holds.set(extended.id, extended);
      return { kind: 'extended', hold: { ...extended } };
    }),

    getHold: (request) => unit(() => {
      const hold = holdAsSeen(holds.get(request.holdId), request.tokenHash, request.now);
      if (!hold) return { kind: 'refused', code: 'invalid_hold' } as const;
      const order = [...orders.values()].find((o) => o.holdId === hold.id);
      return { kind: 'found', hold: { ...hold }, orderId: order?.id ?? null } as const;
    }),

    getOrder: (request) => unit(() => {
      const stored = orders.get(request.orderId);
      const order = orderAsSeen(stored, stored && holds.get(stored.holdId)?.tokenHash, request.tokenHash);
      return order ? ({ kind: 'found', order: { ...order } } as const) : ({ kind: 'refused', code: 'invalid_order' } as const);
    }),

    // Events for the merchant.
    readMerchantEvents: ({ after, limit }) => unit(() => events.filter((e) => e.position > after).slice(0, limit).map((e) => ({ ...e, data: { ...e.data } }))),

    purgeMerchantEvents: ({ before, limit }) => unit(() => {
      let purged = 0;
      let highest = 0;
      for (let i = 0; i < events.length && purged < limit; ) {
        if (events[i]!.createdAt < before) {
          highest = Math.max(highest, events[i]!.position);
          events.splice(i, 1);
          purged += 1;
        } else i += 1;
      }
      for (const queue of deliveries.values()) for (const position of queue.keys()) if (position <= highest) queue.delete(position);
      return purged;
    }),

    // Events for the merchant, pushed: one queue of deliveries per sink.
    registerEventSink: ({ sink }) => unit(() => {
      if (!sinkCursors.has(sink)) {
        sinkCursors.set(sink, ids.event);
        deliveries.set(sink, new Map());
      }
    }),

    claimEventDeliveries: ({ sink, now, leaseUntil, limit }) => unit(() => {
      const cursor = sinkCursors.get(sink);
      const queue = deliveries.get(sink);
      if (cursor === undefined || !queue) return [];
      const fresh = events.filter((e) => e.position > cursor).slice(0, DELIVERY_ENQUEUE_BATCH);
      for (const event of fresh) {
        if (!queue.has(event.position)) queue.set(event.position, { state: 'pending', attempts: 0, nextAttemptAt: now, orderingKey: orderingKey(event) });
      }
      if (fresh.length > 0) sinkCursors.set(sink, fresh.at(-1)!.position);
      const claimed: ClaimedEventDelivery[] = [];
      const blocked = new Set<string>();
      for (const position of [...queue.keys()].sort((a, b) => a - b)) {
        if (claimed.length >= limit) break;
        const delivery = queue.get(position)!;
        if (delivery.state !== 'pending') continue;
        const key = delivery.orderingKey;
        const isBlocked = key !== undefined && blocked.has(key);
        if (key !== undefined) blocked.add(key);
        if (isBlocked || delivery.nextAttemptAt > now) continue;
        const event = events.find((e) => e.position === position);
        if (!event) continue;
        delivery.attempts += 1;
        delivery.nextAttemptAt = leaseUntil;
        claimed.push({ event: { ...event, data: { ...event.data } }, attempt: delivery.attempts });
      }
      return claimed;
    }),

    settleEventDeliveries: ({ sink, now, settlements }) => unit(() => {
      const queue = deliveries.get(sink);
      for (const settlement of settlements) {
        const delivery = queue?.get(settlement.position);
        if (!delivery || delivery.state !== 'pending' || delivery.attempts !== settlement.attempt) continue;
        if (settlement.outcome === 'delivered') Object.assign(delivery, { state: 'delivered', deliveredAt: now });
        else if (settlement.outcome === 'dead') Object.assign(delivery, { state: 'dead', lastError: settlement.error });
        else Object.assign(delivery, { nextAttemptAt: settlement.retryAt, lastError: settlement.error });
      }
    }),

    redeliverEvents: ({ from, sink }) => unit(() => {
      let touched = 0;
      for (const [name, cursor] of sinkCursors) {
        if (sink !== undefined && name !== sink) continue;
        touched += 1;
        if (cursor >= from) sinkCursors.set(name, from - 1);
        const queue = deliveries.get(name)!;
        for (const [position, delivery] of queue) if (position >= from && delivery.state !== 'pending') queue.delete(position);
      }
      return touched;
    }),

    eventDeliveryBacklog: ({ sink }) => unit(() => {
      const cursor = sinkCursors.get(sink);
      const queue = deliveries.get(sink);
      const lastPosition = ids.event;
      if (cursor === undefined || !queue) return { pending: 0, oldestUndeliveredAt: undefined, lastPosition };
      const pendingPositions = new Set([...queue].filter(([, d]) => d.state === 'pending').map(([position]) => position));
      const undelivered = events.filter((e) => e.position > cursor || pendingPositions.has(e.position));
      const oldest = undelivered.length === 0 ? undefined : Math.min(...undelivered.map((e) => e.createdAt));
      return { pending: pendingPositions.size, oldestUndeliveredAt: oldest, lastPosition };
    }),

    ping: () => unit(() => undefined),
    close: async () => {
      closed = true;
    },
    tamperAvailable: (productId, delta) => {
      products.get(productId)!.availableStock += delta;
    },
  };
}

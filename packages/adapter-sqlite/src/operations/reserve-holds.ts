import {
  buyersToCount,
  buyerUnitsKey,
  idempotencyKeyId,
  planReservations,
  reservationOutcome,
  storedAnswer,
  type FlashSaleStore,
  type PlannedProduct,
  type Replayable,
  type ReserveOutcome,
  type ReserveRequest,
  type StoredReplay,
} from '@flashsale/core';
import type { Connection } from '../connection.js';
import type { IdempotencyRecords } from '../idempotency-records.js';

const PRODUCT_TO_PLAN = 'SELECT available, sale_starts_at, sale_ends_at, max_per_buyer FROM products WHERE id = ?';

// Drops: a buyer's units of a product, as the core counts them (drops.ts).
const BUYER_UNITS = `SELECT coalesce(sum(h.qty), 0) FROM holds h LEFT JOIN orders o ON o.hold_id = h.id
                     WHERE h.product_id = ? AND h.buyer_id = ?
                       AND (h.status = 'active' OR (h.status = 'converted' AND o.status IN ('pending', 'completed')))`;

const INSERT_HOLD = `INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at, buyer_id)
                     VALUES (?, ?, 'active', ?, ?, ?, ?)`;

// `available >= @qty` is both selector and guard: stock can never go below zero.
const TAKE_STOCK = 'UPDATE products SET available = available - @qty WHERE id = @productId AND available >= @qty RETURNING available';

interface ProductToPlanRow {
  available: number;
  sale_starts_at: number | null;
  sale_ends_at: number | null;
  max_per_buyer: number | null;
}

/**
 * One batch, first-fit in array order, as the core's `planReservations` decides it. Each
 * product's row is read once and its stock written once per batch: with a stampede on one
 * product, an UPDATE of its row per request was as costly as the hold INSERTs. The sale window
 * and the limit are read from that row, and each limited buyer's units counted, in the same
 * transaction. Nothing else can write between the reads and the writes: the whole batch runs in
 * one BEGIN IMMEDIATE transaction, holding SQLite's write lock (across processes too).
 */
export function prepareReserveHolds(conn: Connection, records: IdempotencyRecords): FlashSaleStore['reserveHolds'] {
  const productToPlan = conn.db.prepare<[productId: number], ProductToPlanRow>(PRODUCT_TO_PLAN);
  const buyerUnits = conn.db.prepare<[productId: number, buyerId: string], number>(BUYER_UNITS).pluck();
  const insertHold = conn.db.prepare<[productId: number, qty: number, tokenHash: string, createdAt: number, expiresAt: number, buyerId: string | null]>(INSERT_HOLD);
  const takeStock = conn.db.prepare<{ productId: number; qty: number }, { available: number }>(TAKE_STOCK);
  return conn.writeTransaction((requests: readonly ReserveRequest[]) => {
    const products = new Map<number, PlannedProduct>();
    for (const request of requests) {
      if (products.has(request.productId)) continue;
      const row = productToPlan.get(request.productId);
      if (row) products.set(request.productId, { available: row.available, saleStartsAt: row.sale_starts_at, saleEndsAt: row.sale_ends_at, maxPerBuyer: row.max_per_buyer });
    }
    const units = new Map(buyersToCount(requests, products).map(({ productId, buyerId }) => [buyerUnitsKey(productId, buyerId), buyerUnits.get(productId, buyerId)!]));
    const stored = new Map<string, StoredReplay>();
    for (const request of requests) {
      const found = request.idempotency && records.find(request.idempotency);
      if (found) stored.set(idempotencyKeyId(request.idempotency!), found);
    }
    const plan = planReservations(requests, products, new Set(stored.keys()), units);

    const bodies = new Map<number, { fingerprint: string; body: string }>();
    const results = plan.decisions.map((decision, i): Replayable<ReserveOutcome> => {
      const request = requests[i]!;
      if (decision.kind === 'replay-stored') return stored.get(idempotencyKeyId(request.idempotency!))!;
      if (decision.kind === 'replay-earlier') return { kind: 'replay', ...bodies.get(decision.of)! };
      const holdId = decision.kind === 'grant' ? Number(insertHold.run(request.productId, request.qty, request.tokenHash, request.createdAt, request.expiresAt, request.buyerId ?? null).lastInsertRowid) : undefined;
      const outcome = reservationOutcome(request, decision, holdId);
      const key = request.idempotency;
      if (key && plan.keyOwners.get(idempotencyKeyId(key)) === i) {
        const body = storedAnswer(key, outcome)!;
        records.store(key, body, request.createdAt);
        bodies.set(i, { fingerprint: key.fingerprint, body });
      }
      return { kind: 'done', outcome };
    });
    for (const [productId, qty] of plan.taken) {
      // The guard cannot fail under the write lock; if it ever did, the whole batch rolls back.
      if (!takeStock.get({ productId, qty })) throw new Error(`stock of product ${productId} changed inside a write transaction`);
    }
    return results;
  });
}

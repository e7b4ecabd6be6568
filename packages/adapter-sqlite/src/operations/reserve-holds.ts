import { idempotencyKeyId, planReservations, reservationOutcome, storedAnswer, type FlashSaleStore, type Replayable, type ReserveOutcome, type ReserveRequest, type StoredReplay } from '@flashsale/core';
import type { Connection } from '../connection.js';
import type { IdempotencyRecords } from '../idempotency-records.js';

const AVAILABLE_STOCK = 'SELECT available FROM products WHERE id = ?';

const INSERT_HOLD = `INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at)
                     VALUES (?, ?, 'active', ?, ?, ?)`;

// `available >= @qty` is both selector and guard: stock can never go below zero.
const TAKE_STOCK = 'UPDATE products SET available = available - @qty WHERE id = @productId AND available >= @qty RETURNING available';

/**
 * One batch, first-fit in array order, as the core's `planReservations` decides it. Each
 * product's stock is read once and written once per batch: with a stampede on one product, an
 * UPDATE of its row per request was as costly as the hold INSERTs. Nothing else can write between
 * the reads and the writes: the whole batch runs in one BEGIN IMMEDIATE transaction, holding
 * SQLite's write lock.
 */
export function prepareReserveHolds(conn: Connection, records: IdempotencyRecords): FlashSaleStore['reserveHolds'] {
  const availableStock = conn.db.prepare<[productId: number], number>(AVAILABLE_STOCK).pluck();
  const insertHold = conn.db.prepare<[productId: number, qty: number, tokenHash: string, createdAt: number, expiresAt: number]>(INSERT_HOLD);
  const takeStock = conn.db.prepare<{ productId: number; qty: number }, { available: number }>(TAKE_STOCK);
  return conn.writeTransaction((requests: readonly ReserveRequest[]) => {
    const stock = new Map<number, number>();
    for (const request of requests) {
      if (stock.has(request.productId)) continue;
      const available = availableStock.get(request.productId);
      if (available !== undefined) stock.set(request.productId, available);
    }
    const stored = new Map<string, StoredReplay>();
    for (const request of requests) {
      const found = request.idempotency && records.find(request.idempotency);
      if (found) stored.set(idempotencyKeyId(request.idempotency!), found);
    }
    const plan = planReservations(requests, stock, new Set(stored.keys()));

    const bodies = new Map<number, { fingerprint: string; body: string }>();
    const results = plan.decisions.map((decision, i): Replayable<ReserveOutcome> => {
      const request = requests[i]!;
      if (decision.kind === 'replay-stored') return stored.get(idempotencyKeyId(request.idempotency!))!;
      if (decision.kind === 'replay-earlier') return { kind: 'replay', ...bodies.get(decision.of)! };
      const holdId = decision.kind === 'grant' ? Number(insertHold.run(request.productId, request.qty, request.tokenHash, request.createdAt, request.expiresAt).lastInsertRowid) : undefined;
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

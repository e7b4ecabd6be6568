import type { FlashSaleStore, ReserveOutcome, ReserveRequest } from '@flashsale/core';
import type { Connection } from '../connection.js';
import type { IdempotencyRecords } from '../idempotency-records.js';

const AVAILABLE_STOCK = 'SELECT available FROM products WHERE id = ?';

const INSERT_HOLD = `INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at)
                     VALUES (?, ?, 'active', ?, ?, ?)`;

// `available >= @qty` is both selector and guard: stock can never go below zero.
const TAKE_STOCK = 'UPDATE products SET available = available - @qty WHERE id = @productId AND available >= @qty RETURNING available';

/**
 * One batch, first-fit in array order. Each product's stock is read once and written once per
 * batch: with a stampede on one product, an UPDATE of its row per request was as costly as the
 * hold INSERTs. Nothing else can write between the read and the write: the whole batch runs in
 * one BEGIN IMMEDIATE transaction, holding SQLite's write lock.
 */
export function prepareReserveHolds(conn: Connection, records: IdempotencyRecords): FlashSaleStore['reserveHolds'] {
  const availableStock = conn.db.prepare<[productId: number], number>(AVAILABLE_STOCK).pluck();
  const insertHold = conn.db.prepare<[productId: number, qty: number, tokenHash: string, createdAt: number, expiresAt: number]>(INSERT_HOLD);
  const takeStock = conn.db.prepare<{ productId: number; qty: number }, { available: number }>(TAKE_STOCK);
  return conn.writeTransaction((requests: readonly ReserveRequest[]) => {
    const stock = new Map<number, { left: number; taken: number } | null>();
    const results = requests.map((request) =>
      records.keyed<ReserveOutcome>(request.idempotency, request.createdAt, () => {
        let product = stock.get(request.productId);
        if (product === undefined) {
          const available = availableStock.get(request.productId);
          product = available === undefined ? null : { left: available, taken: 0 };
          stock.set(request.productId, product);
        }
        if (product === null) return { kind: 'refused', code: 'product_not_found' };
        if (product.left < request.qty) return { kind: 'refused', code: 'insufficient_stock', stockLeft: product.left };
        product.left -= request.qty;
        product.taken += request.qty;
        const { lastInsertRowid } = insertHold.run(request.productId, request.qty, request.tokenHash, request.createdAt, request.expiresAt);
        return {
          kind: 'held',
          stockLeft: product.left,
          hold: { id: Number(lastInsertRowid), productId: request.productId, qty: request.qty, status: 'active', tokenHash: request.tokenHash, createdAt: request.createdAt, expiresAt: request.expiresAt },
        };
      }),
    );
    for (const [productId, product] of stock) {
      if (!product || product.taken === 0) continue;
      // The guard cannot fail under the write lock; if it ever did, the whole batch rolls back.
      if (!takeStock.get({ productId, qty: product.taken })) throw new Error(`stock of product ${productId} changed inside a write transaction`);
    }
    return results;
  });
}

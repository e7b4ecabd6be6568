import Database from 'better-sqlite3';
import {
  type FlashSaleStore,
  type ReserveOutcome,
  type ReserveRequest,
} from '@flashsale/core';
import { prepareIdempotencyRecords } from './idempotency-records.js';
import { migrate } from './migrate.js';
import { Connection } from './connection.js';
import { prepareApplyPayment } from './operations/apply-payment.js';
import { prepareAuditSnapshot } from './operations/audit-snapshot.js';
import { prepareCreateOrder } from './operations/create-order.js';
import { prepareProducts } from './operations/products.js';
import { preparePurgeIdempotency } from './operations/purge-idempotency.js';
import { prepareReleaseExpired } from './operations/release-expired.js';
import { prepareStatements } from './statements.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  filename: string;
  /**
   * FULL (default) makes every committed hold, order and payment survive a power cut. NORMAL in WAL
   * mode survives a process crash but may lose the last commits on a power cut, for more speed.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for another process's lock before giving up. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/** A {@link FlashSaleStore} on SQLite, with the raw connection for tools and tests. */
export interface SqliteStore extends FlashSaleStore {
  readonly db: Database.Database;
}

/**
 * Opens (creating and migrating when needed) a SQLite database as a flashsale store.
 *
 * Every write use case runs in one `BEGIN IMMEDIATE` transaction: SQLite has one writer at a time,
 * so taking the write lock up front means a transaction never starts reading and later fails to
 * upgrade (SQLITE_BUSY mid-way); other processes wait up to `busyTimeoutMs`.
 *
 * @example
 * const store = openSqliteStore({ filename: 'flashsale.db' });
 * const sale = createFlashSale({ store });
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const db = new Database(options.filename, { timeout: options.busyTimeoutMs ?? 5_000 });
  try {
    if (options.filename !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const conn = new Connection(db);
  const st = prepareStatements(db);
  const records = prepareIdempotencyRecords(conn);

  /**
   * One batch, first-fit in array order. Each product's stock is read once and written once per
   * batch: with a stampede on one product, an UPDATE of its row per request was as costly as the
   * hold INSERTs. Nothing else can write between the read and the write: the whole batch runs in
   * one BEGIN IMMEDIATE transaction, holding SQLite's write lock.
   */
  const reserveHolds = conn.writeTransaction((requests: readonly ReserveRequest[]) => {
    const stock = new Map<number, { left: number; taken: number } | null>();
    const results = requests.map((request) =>
      records.keyed<ReserveOutcome>(request.idempotency, request.createdAt, () => {
        let product = stock.get(request.productId);
        if (product === undefined) {
          const available = st.availableStock.get(request.productId) as number | undefined;
          product = available === undefined ? null : { left: available, taken: 0 };
          stock.set(request.productId, product);
        }
        if (product === null) return { kind: 'refused', code: 'product_not_found' };
        if (product.left < request.qty) return { kind: 'refused', code: 'insufficient_stock', stockLeft: product.left };
        product.left -= request.qty;
        product.taken += request.qty;
        const { lastInsertRowid } = st.insertHold.run(request.productId, request.qty, request.tokenHash, request.createdAt, request.expiresAt);
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
      if (!st.takeStock.get({ productId, qty: product.taken })) throw new Error(`stock of product ${productId} changed inside a write transaction`);
    }
    return results;
  });

  return {
    kind: 'sqlite',
    db,
    ...prepareProducts(conn),
    reserveHolds,
    createOrder: prepareCreateOrder(conn, records),
    applyPayment: prepareApplyPayment(conn, records),
    releaseExpired: prepareReleaseExpired(conn),
    purgeIdempotency: preparePurgeIdempotency(conn),
    auditSnapshot: prepareAuditSnapshot(conn),
    ping: conn.ping,
    close: () => conn.close(),
  };
}

import Database from 'better-sqlite3';
import type { FlashSaleStore } from '@flashsale/core';
import { Connection } from './connection.js';
import { prepareIdempotencyRecords } from './idempotency-records.js';
import { migrate } from './migrate.js';
import { prepareApplyPayment } from './operations/apply-payment.js';
import { prepareAuditSnapshot } from './operations/audit-snapshot.js';
import { prepareCreateOrder } from './operations/create-order.js';
import { prepareExtendHold } from './operations/extend-hold.js';
import { prepareHoldReads } from './operations/hold-reads.js';
import { prepareEventDeliveries } from './operations/event-deliveries.js';
import { prepareMerchantEvents } from './operations/merchant-events.js';
import { prepareProducts } from './operations/products.js';
import { preparePurgeIdempotency } from './operations/purge-idempotency.js';
import { prepareReleaseExpired } from './operations/release-expired.js';
import { prepareReleaseHold } from './operations/release-hold.js';
import { prepareReserveHolds } from './operations/reserve-holds.js';

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
  /**
   * Orders, payments, releases and extensions that arrive together share one transaction, each in
   * its own savepoint (group commit). Default true; false gives each its own transaction, for
   * comparing the two.
   */
  groupCommit?: boolean;
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
 * upgrade (SQLITE_BUSY mid-way); other processes wait up to `busyTimeoutMs`. Orders, payments,
 * releases and extensions that arrive in one turn of the event loop share one such transaction,
 * each in its own savepoint (`groupCommit`).
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
  const conn = new Connection(db, { groupCommit: options.groupCommit ?? true });
  const records = prepareIdempotencyRecords(conn);

  return {
    kind: 'sqlite',
    // One writer at a time: a release pass waits for the write lock, it never skips rows.
    capabilities: { reportsStockLeft: true, skipsLockedRows: false },
    db,
    ...prepareProducts(conn),
    reserveHolds: prepareReserveHolds(conn, records),
    createOrder: prepareCreateOrder(conn, records),
    applyPayment: prepareApplyPayment(conn, records),
    releaseExpired: prepareReleaseExpired(conn),
    purgeIdempotency: preparePurgeIdempotency(conn),
    auditSnapshot: prepareAuditSnapshot(conn),
    // Hold lifecycle.
    releaseHold: prepareReleaseHold(conn),
    extendHold: prepareExtendHold(conn),
    ...prepareHoldReads(conn),
    // Events for the merchant.
    ...prepareMerchantEvents(conn),
    ...prepareEventDeliveries(conn),
    ping: conn.ping,
    close: () => conn.close(),
  };
}

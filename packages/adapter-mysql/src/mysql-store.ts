import type { FlashSaleStore } from '@flashsale/core';
import mysql, { type Pool } from 'mysql2/promise';
import { endpointOf, storeConnectionOptions, type Endpoint } from './connection-config.js';
import { Executor } from './executor.js';
import { migrateEndpoint, migratePool } from './migrate.js';
import { applyPayment } from './operations/apply-payment.js';
import { auditSnapshot } from './operations/audit-snapshot.js';
import { createOrder } from './operations/create-order.js';
import { claimEventDeliveries, eventDeliveryBacklog, redeliverEvents, registerEventSink, settleEventDeliveries } from './operations/event-deliveries.js';
import { extendHold } from './operations/extend-hold.js';
import { getHold, getOrder } from './operations/hold-reads.js';
import { purgeMerchantEvents, readMerchantEvents } from './operations/merchant-events.js';
import { createProduct, getProduct, restock, updateProduct } from './operations/products.js';
import { purgeIdempotency } from './operations/purge-idempotency.js';
import { releaseExpired } from './operations/release-expired.js';
import { releaseHold } from './operations/release-hold.js';
import { reserveHolds } from './operations/reserve-holds.js';
import { resolveOptions, type MysqlStoreOptions, type ResolvedOptions } from './options.js';

/** A {@link FlashSaleStore} on MySQL or MariaDB, with the pool and database it runs on. */
export interface MysqlStore extends FlashSaleStore {
  readonly kind: 'mysql';
  /** The pool the store runs on: its own, or the one you passed in. */
  readonly pool: Pool;
  /** The database holding the tables. */
  readonly database: string;
}

/**
 * Opens a MySQL or MariaDB store, migrating its database first (unless `migrate: false`).
 *
 * @example
 * import { createFlashSale } from '@flashsale/core';
 * import { openMysqlStore } from '@flashsale/adapter-mysql';
 *
 * const store = await openMysqlStore({ uri: 'mysql://app:secret@127.0.0.1:3306/shop' });
 * const sale = createFlashSale({ store });
 * const hold = await sale.createHold({ productId: 1, qty: 1 });
 * await sale.close(); // ends the store's own pool
 */
export async function openMysqlStore(options: MysqlStoreOptions): Promise<MysqlStore> {
  const resolved = resolveOptions(options);
  if (options.pool && options.uri) throw new TypeError('openMysqlStore takes a uri or a pool, not both');
  if (!options.pool && !options.uri) throw new TypeError('openMysqlStore needs a uri or a pool');
  let pool: Pool;
  let database: string;
  if (options.uri) {
    const endpoint = endpointOf(options.uri);
    if (options.migrate !== false) await migrateEndpoint(endpoint, resolved.connectTimeoutMs);
    pool = createPool(endpoint, resolved);
    database = endpoint.database;
  } else {
    pool = options.pool!;
    database = options.migrate === false ? databaseOf(pool) : (await migratePool(pool)).database;
  }
  const ex = new Executor(pool, !options.pool, resolved);
  // A quarter of the pool commits checkout groups; the rest stays free for holds, reads and the
  // sweeper, so a checkout wave never starves the hold stampede of connections.
  // Each write's transactions stamp its events with its own `now`.
  const writes = options.groupCommit === false ? (now: number | null) => ex.at(now) : ex.groupCommit(Math.max(1, Math.floor(resolved.poolSize / 4)));
  return {
    kind: 'mysql',
    capabilities: { reportsStockLeft: true, skipsLockedRows: true },
    sharedDatabase: { dialect: 'mysql', pool: pool.pool, schema: database },
    pool,
    database,
    getProduct: (id) => getProduct(ex, id),
    // Events for the merchant: each unit that may append one stamps it with its `now`.
    reserveHolds: (requests) => reserveHolds(ex.at(newestOf(requests)), requests),
    createOrder: (request) => createOrder(writes(request.now), request),
    applyPayment: (request) => applyPayment(writes(request.now), request),
    releaseExpired: (request) => releaseExpired(ex.at(request.now), request),
    releaseHold: (request) => releaseHold(writes(request.now), request),
    extendHold: (request) => extendHold(writes(null), request),
    getHold: (request) => getHold(ex, request),
    getOrder: (request) => getOrder(ex, request),
    purgeIdempotency: (request) => purgeIdempotency(ex, request),
    createProduct: (request) => createProduct(ex, request),
    restock: (request) => restock(ex.at(request.now), request),
    updateProduct: (request) => updateProduct(ex, request),
    auditSnapshot: () => auditSnapshot(ex),
    // Events for the merchant.
    readMerchantEvents: (request) => readMerchantEvents(ex, request),
    purgeMerchantEvents: (request) => purgeMerchantEvents(ex, request),
    // Events for the merchant, pushed.
    registerEventSink: (request) => registerEventSink(ex, request),
    claimEventDeliveries: (request) => claimEventDeliveries(ex, request),
    settleEventDeliveries: (request) => settleEventDeliveries(ex, request),
    redeliverEvents: (request) => redeliverEvents(ex, request),
    eventDeliveryBacklog: (request) => eventDeliveryBacklog(ex, request),
    ping: () => ex.ping(),
    close: () => ex.close(),
  };
}

/**
 * The store's own pool. mysql2 closes an idle connection only when its pool keeps fewer idle ones
 * than it may open (`maxIdle` below `connectionLimit`); it then closes every connection idle past
 * `idleTimeout`, checked as often, so none idles for two thirds of `wait_timeout` and the pool
 * never hands out a connection the server has already ended.
 */
function createPool(endpoint: Endpoint, options: ResolvedOptions): Pool {
  return mysql.createPool({
    ...storeConnectionOptions(endpoint, options.connectTimeoutMs),
    database: endpoint.database,
    connectionLimit: options.poolSize,
    maxIdle: options.poolSize - 1,
    idleTimeout: Math.floor((options.idleSessionTimeoutS * 1_000) / 3),
    waitForConnections: true,
    queueLimit: 0,
  });
}

/** The default database a borrowed pool's connections open, from its configuration. */
function databaseOf(pool: Pool): string {
  const config = (pool.pool as unknown as { config?: { connectionConfig?: { database?: string } } }).config;
  const database = config?.connectionConfig?.database;
  if (!database) throw new TypeError('the pool names no database: give its connections a `database`');
  return database;
}

/** A batch's event time: its newest request's. */
function newestOf(requests: readonly { createdAt: number }[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const request of requests) if (request.createdAt > newest) newest = request.createdAt;
  return newest;
}

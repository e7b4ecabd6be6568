import type { FlashSaleStore } from '@flashsale/core';
import pg, { type Pool } from 'pg';
import { checkoutWrites } from './checkout-group.js';
import { Executor } from './executor.js';
import { migratePool } from './migrate.js';
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
import { resolveOptions, type PostgresStoreOptions, type ResolvedOptions } from './options.js';

/** A {@link FlashSaleStore} on PostgreSQL, with the pool and schema it runs on. */
export interface PostgresStore extends FlashSaleStore {
  readonly kind: 'postgres';
  /** The pool the store runs on: its own, or the one you passed in. */
  readonly pool: Pool;
  /** The schema holding the tables. */
  readonly schema: string;
}

/**
 * Opens a PostgreSQL store, migrating its schema first (unless `migrate: false`).
 *
 * @example
 * import { createFlashSale } from '@flashsale/core';
 * import { openPostgresStore } from '@flashsale/adapter-postgres';
 *
 * const store = await openPostgresStore({ connectionString: process.env.DATABASE_URL });
 * const sale = createFlashSale({ store });
 * const hold = await sale.createHold({ productId: 1, qty: 1 });
 * await sale.close(); // ends the store's own pool
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const resolved = resolveOptions(options);
  if (!options.pool && !options.connectionString) throw new TypeError('openPostgresStore needs a connectionString or a pool');
  const owned = !options.pool;
  const pool = options.pool ?? createPool(options.connectionString!, resolved);
  const ex = new Executor(pool, owned, resolved);
  // A quarter of the pool commits checkout groups; the rest stays free for holds, reads and the
  // sweeper, so a checkout wave never starves the hold stampede of connections.
  const writes = checkoutWrites(ex, { groupCommit: options.groupCommit !== false, maxInFlight: Math.max(1, Math.floor(resolved.poolSize / 4)) });
  try {
    if (options.migrate !== false) await migratePool(pool, resolved.schema);
  } catch (err) {
    await ex.close();
    throw err;
  }
  return {
    kind: 'postgres',
    capabilities: { reportsStockLeft: true, skipsLockedRows: true },
    sharedDatabase: { dialect: 'postgres', pool, schema: resolved.schema },
    pool,
    schema: resolved.schema,
    getProduct: (id) => getProduct(ex, id),
    // Events for the merchant: each unit that may append one stamps it with its `now`.
    reserveHolds: (requests) => reserveHolds(ex.at(newestOf(requests)), requests),
    createOrder: writes.createOrder,
    applyPayment: writes.applyPayment,
    releaseExpired: (request) => releaseExpired(ex.at(request.now), request),
    purgeIdempotency: (request) => purgeIdempotency(ex, request),
    createProduct: (request) => createProduct(ex, request),
    restock: (request) => restock(ex.at(request.now), request),
    updateProduct: (request) => updateProduct(ex, request),
    auditSnapshot: () => auditSnapshot(ex),
    // Hold lifecycle.
    releaseHold: (request) => releaseHold(writes.transactionsAt(request.now), request),
    extendHold: (request) => extendHold(writes.transactionsAt(undefined), request),
    getHold: (request) => getHold(ex, request),
    getOrder: (request) => getOrder(ex, request),
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
 * The store's own pool. Search path and timeouts are startup parameters of each connection, so
 * no statement pays a round trip to set them.
 */
function createPool(connectionString: string, options: ResolvedOptions): Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMs,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: options.applicationName,
    statement_timeout: options.statementTimeoutMs,
    lock_timeout: options.lockTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
    options: `-c search_path=${options.schema}`,
  });
  // An idle connection the server ended (restart, pg_terminate_backend) is dropped by the pool;
  // without a listener its 'error' would crash the process.
  pool.on('error', () => {});
  // So would one that ends while a client is out of the pool with nobody listening, which
  // happened under pg_terminate_backend in the CLI's outage test, in a window between pg-pool's
  // idle listener and the executor's that was not pinned down (test/client-errors.test.ts makes
  // such a window). A listener of its own on every client, from its first connect, closes every
  // such gap; the failure still reaches the caller, whose queries on that client fail.
  pool.on('connect', (client) => client.on('error', ignoreClientError));
  return pool;
}

/** The failure of a client surfaces where it matters: its queries reject, and the pool drops it. */
function ignoreClientError(): void {}

/** A batch's event time: its newest request's. */
function newestOf(requests: readonly { createdAt: number }[]): number {
  let newest = Number.NEGATIVE_INFINITY;
  for (const request of requests) if (request.createdAt > newest) newest = request.createdAt;
  return newest;
}

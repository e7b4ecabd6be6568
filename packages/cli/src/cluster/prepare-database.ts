import type { MysqlStore } from '@flashsale/adapter-mysql';
import type { PostgresStore } from '@flashsale/adapter-postgres';
import { createFlashSale, type Product } from '@flashsale/core';
import { mysqlLimiter, postgresLimiter } from '@flashsale/server';
import type { ServeFlags } from '../serve-flags.js';
import { seedDemoProduct } from '../demo-product.js';
import type { DbTarget } from '../open-store.js';
import type { Io } from '../output.js';
import { warn } from '../output.js';
import { openTarget } from '../with-sale.js';

/**
 * What the `serve --workers` primary does once, before forking, so workers never race each other
 * at it: migrate (opening the store does), seed the demo product, create the shared rate-limit
 * table. Then it closes its connections: the primary serves no requests. Returns the demo product
 * when it created it.
 */
export async function prepareDatabase(flags: ServeFlags, target: DbTarget, io: Io): Promise<Product | undefined> {
  const store = await openTarget(target, { poolSize: 2 });
  const sale = createFlashSale({ store });
  try {
    let seeded: Product | undefined;
    if (flags.seed) {
      const { created, product } = await seedDemoProduct(sale);
      if (created) seeded = product;
    }
    if (target.kind === 'postgres') {
      const pg = store as PostgresStore;
      if (flags.rateLimit !== false) await postgresLimiter({ pool: pg.pool, schema: pg.schema });
      await warnIfTooManyConnections(pg, flags, io);
    }
    if (target.kind === 'mysql') {
      const mysql = store as MysqlStore;
      if (flags.rateLimit !== false) await mysqlLimiter({ pool: mysql.pool.pool, database: mysql.database });
      await warnIfTooManyMysqlConnections(mysql, flags, io);
    }
    return seeded;
  } finally {
    await sale.close();
  }
}

/** Every worker opens its own pool: say so when the pools alone could exhaust the server's connections. */
async function warnIfTooManyConnections(store: PostgresStore, flags: ServeFlags, io: Io): Promise<void> {
  const { rows } = await store.pool.query<{ max: number; reserved: number }>(
    "SELECT current_setting('max_connections')::int AS max, current_setting('superuser_reserved_connections')::int AS reserved",
  );
  const { max, reserved } = rows[0]!;
  const { DEFAULT_POOL_SIZE } = await import('@flashsale/adapter-postgres');
  const poolSize = flags.poolSize ?? DEFAULT_POOL_SIZE;
  const wanted = poolSize * flags.workers;
  if (wanted > max - reserved) {
    warn(
      io,
      `WARNING: ${flags.workers} workers × pool ${poolSize} = ${wanted} connections, but PostgreSQL allows ${max - reserved} ` +
        `(max_connections ${max} − ${reserved} reserved): lower --pool-size or --workers, or raise max_connections.`,
    );
  }
}

/** The same warning on MySQL, whose `max_connections` keeps one more for a SUPER user. */
async function warnIfTooManyMysqlConnections(store: MysqlStore, flags: ServeFlags, io: Io): Promise<void> {
  const [rows] = (await store.pool.query('SELECT @@max_connections AS max')) as unknown as [{ max: number }[]];
  const max = Number(rows[0]!.max);
  const { DEFAULT_POOL_SIZE } = await import('@flashsale/adapter-mysql');
  const poolSize = flags.poolSize ?? DEFAULT_POOL_SIZE;
  const wanted = poolSize * flags.workers;
  if (wanted > max) {
    warn(io, `WARNING: ${flags.workers} workers × pool ${poolSize} = ${wanted} connections, but MySQL allows ${max} (max_connections): lower --pool-size or --workers, or raise max_connections.`);
  }
}

// Compiled by the packaging check with strict, NodeNext and no skipLibCheck, against the installed
// packages: the engine and its adapters, with the ES and Node libraries only (no DOM), as a
// backend that embeds them compiles.
import { createFlashSale, FlashSaleError, type FlashSale, type FlashSaleStore, type Product, type VerifyReport } from '@flashsale/core';
import { openSqliteStore, type SqliteStore } from '@flashsale/adapter-sqlite';
import { openPostgresStore, type PostgresStore } from '@flashsale/adapter-postgres';
import { openMysqlStore, type MysqlStore } from '@flashsale/adapter-mysql';
import { BENCH_DEFAULTS } from '@flashsale/bench/options';

const sqlite: SqliteStore = openSqliteStore({ filename: ':memory:' });
const store: FlashSaleStore = sqlite;
const sale: FlashSale = createFlashSale({ store, holdTtlMs: 120_000 });

export async function buy(productId: number): Promise<string> {
  const product: Product = await sale.getProduct(productId);
  const stock: number = product.availableStock;
  const hold = await sale.createHold({ productId, qty: Math.min(2, stock) });
  const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
  // @ts-expect-error the token is a string: the types are real, not any
  await sale.createOrder({ holdId: hold.holdId, token: 42 });
  return order.amount;
}

export async function audit(): Promise<VerifyReport['violations']> {
  try {
    return (await sale.verify()).violations;
  } catch (error) {
    if (FlashSaleError.is(error, 'storage_unavailable')) return [];
    throw error;
  }
}

export async function onPostgres(url: string): Promise<string> {
  const pg: PostgresStore = await openPostgresStore({ connectionString: url, schema: 'shop' });
  const rows = await pg.pool.query<{ n: number }>('SELECT 1 AS n');
  await pg.close();
  return `${pg.schema}: ${rows.rows[0]?.n ?? 0}`;
}

export async function onMysql(uri: string): Promise<string> {
  const my: MysqlStore = await openMysqlStore({ uri, poolSize: 2 });
  const [rows] = await my.pool.query('SELECT 1 AS n');
  await my.close();
  return `${my.database}: ${JSON.stringify(rows)}`;
}

export const benchRequests: number = BENCH_DEFAULTS.requests;

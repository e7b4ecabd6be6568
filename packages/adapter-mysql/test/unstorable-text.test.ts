import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openMysqlStore, type MysqlStore } from '../src/index.js';
import { adminPool, closeTestStores, dropDatabase, endAdminPool, freshDatabaseName, MYSQL_URL, openTestStore, urlFor } from './support/test-database.js';

/**
 * The engine refuses text no store can keep (NUL, unpaired surrogates) before it reaches a store.
 * This is the store's own line behind it: text the server refuses (1366 "Incorrect string value")
 * is a typed `invalid_input`, an answer of the 400 kind, never an unknown error (a 500, retried
 * forever); and a pool that would corrupt text silently is refused.
 */
describe.skipIf(!MYSQL_URL)('mysql store: text the database refuses', () => {
  const stores: MysqlStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  it('keeps what utf8mb4 holds exactly, NUL and 4-byte characters included, on its own pool', async () => {
    const store = await openTestStore();
    stores.push(store);
    for (const name of ['Sneaker\u0000X', 'Sneaker 😀', '\u{10ffff}', 'CAFÉ', 'café']) {
      const created = await store.createProduct({ name, priceCents: 100, stock: 1 });
      expect((await store.getProduct(created.id))?.name).toBe(name);
    }
  });

  it('refuses a name longer than its column with invalid_input, and writes nothing', async () => {
    const store = await openTestStore();
    stores.push(store);
    await expect(store.createProduct({ name: 'x'.repeat(1025), priceCents: 100, stock: 1 })).rejects.toMatchObject({ name: 'FlashSaleError', code: 'invalid_input' });
    expect((await store.auditSnapshot()).products).toEqual([]);
  });

  it('where a column cannot hold a character (a DBA made it latin1), the text is invalid_input, not an unknown error', async () => {
    const store = await openTestStore();
    stores.push(store);
    await adminPool().query(`ALTER TABLE \`${store.database}\`.products MODIFY name VARCHAR(1024) CHARACTER SET latin1 NOT NULL`);
    await expect(store.createProduct({ name: 'Sneaker 😀', priceCents: 100, stock: 1 })).rejects.toMatchObject({ code: 'invalid_input' });
    // What latin1 can hold still works, and nothing else was written.
    await expect(store.createProduct({ name: 'Café', priceCents: 100, stock: 1 })).resolves.toMatchObject({ name: 'Café' });
    expect((await store.auditSnapshot()).products).toHaveLength(1);
  });

  it('refuses a borrowed pool that speaks 3-byte utf8 or latin1, which would store an emoji as garbage without an error', async () => {
    const database = freshDatabaseName();
    await adminPool().query(`CREATE DATABASE \`${database}\``);
    try {
      for (const charset of ['UTF8_GENERAL_CI', 'LATIN1_SWEDISH_CI']) {
        const pool: Pool = mysql.createPool({ uri: urlFor(database), charset, connectionLimit: 1 });
        try {
          await expect(openMysqlStore({ pool })).rejects.toThrow(/not utf8mb4/);
          const unmigrated = await openMysqlStore({ pool, migrate: false });
          await expect(unmigrated.createProduct({ name: 'Sneaker 😀', priceCents: 100, stock: 1 })).rejects.toThrow(/not utf8mb4/);
          await unmigrated.close();
        } finally {
          await pool.end();
        }
      }
      const [rows] = await adminPool().query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [database]);
      expect(Number(rows[0]!.n)).toBe(0);
    } finally {
      await dropDatabase(database);
    }
  });
});

import { createFlashSale } from '@flashsale/core';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openMysqlStore } from '../src/index.js';
import { adminPool, dropDatabase, endAdminPool, freshDatabaseName, MYSQL_URL, openConnections, urlFor } from './support/test-database.js';

describe.skipIf(!MYSQL_URL)('mysql on a pool the app owns', () => {
  let pool: Pool;
  let database: string;
  beforeEach(async () => {
    database = freshDatabaseName();
    await adminPool().query(`CREATE DATABASE \`${database}\``);
    // One connection: the store and the app share it, the hardest case for leaked settings.
    pool = mysql.createPool({ uri: urlFor(database), connectionLimit: 1 });
  });
  afterEach(async () => {
    await pool.end();
    expect(await openConnections(database)).toBe(0);
    await dropDatabase(database);
  });
  afterAll(endAdminPool);

  // MariaDB before 11.1 names the isolation level tx_isolation, MySQL 8 transaction_isolation.
  const sessionSettings = async () => {
    const [[row]] = await pool.query<RowDataPacket[]>(
      'SELECT @@SESSION.innodb_lock_wait_timeout AS lock_wait, @@SESSION.sql_mode AS mode, @@SESSION.wait_timeout AS idle',
    );
    const isolation = await pool
      .query<RowDataPacket[]>('SELECT @@SESSION.tx_isolation AS level')
      .catch(() => pool.query<RowDataPacket[]>('SELECT @@SESSION.transaction_isolation AS level'));
    return { ...row, isolation: isolation[0][0]!.level as string };
  };

  it('leaves the pool open and its session settings untouched', async () => {
    const before = await sessionSettings();
    const store = await openMysqlStore({ pool });
    expect(store.database).toBe(database);
    const sale = createFlashSale({ store });
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 3 });
    const hold = await sale.createHold({ productId: id, qty: 2 });
    await sale.createOrder({ holdId: hold.holdId, token: hold.token });
    await sale.createHold({ productId: id, qty: 1, idempotencyKey: 'k' });
    await sale.close();

    expect(await sessionSettings()).toEqual(before);
    expect((await pool.query<RowDataPacket[]>('SELECT available FROM products WHERE id = ?', [id]))[0][0]).toEqual({ available: 0 });
  });

  it('refuses a pool whose connections name no database', async () => {
    const bare = mysql.createPool({ uri: MYSQL_URL!.replace(/\/[^/]*$/, '/'), connectionLimit: 1 });
    try {
      await expect(openMysqlStore({ pool: bare })).rejects.toThrow(/names no database/);
      await expect(openMysqlStore({ pool: bare, migrate: false })).rejects.toThrow(/names no database/);
    } finally {
      await bare.end();
    }
  });
});

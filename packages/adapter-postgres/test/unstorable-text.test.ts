import { randomBytes } from 'node:crypto';
import { FlashSaleError, type FlashSaleStore } from '@flashsale/core';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../src/index.js';
import { translatePgError } from '../src/pg-errors.js';
import { adminPool, closeTestStores, endAdminPool, openTestStore, PG_URL } from './support/test-database.js';

/**
 * The engine refuses text no store can keep (NUL, unpaired surrogates) before it reaches a store.
 * This is the store's own line behind it, for callers of the store port and for text the
 * database's encoding cannot hold: PostgreSQL's refusal (SQLSTATE 22021 or 22P05) is a typed
 * `invalid_input`, an answer of the 400 kind, never an unknown error (a 500, retried forever).
 */

const pgError = (code: string) => Object.assign(new Error(`pg said ${code}`), { code });

describe('translatePgError: text the database refuses', () => {
  it.each([
    ['22021', 'character_not_in_repertoire'],
    ['22P05', 'untranslatable_character'],
  ])('%s (%s) is invalid_input, with the driver error kept as its cause', (code) => {
    const err = pgError(code);
    const translated = translatePgError(err);
    expect(FlashSaleError.is(translated, 'invalid_input')).toBe(true);
    expect((translated as Error).cause).toBe(err);
    expect((translated as Error).message).not.toContain('pg said');
  });
});

describe.skipIf(!PG_URL)('postgres store: text the database refuses', () => {
  const stores: PostgresStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  it('a NUL in a product name or a txn_id sent straight to the store is invalid_input, and nothing is written', async () => {
    const store = await openTestStore();
    stores.push(store);
    await expect(store.createProduct({ name: 'Sneaker\u0000X', priceCents: 100, stock: 1 })).rejects.toMatchObject({ name: 'FlashSaleError', code: 'invalid_input' });
    expect((await store.auditSnapshot()).products).toEqual([]);

    const product = await store.createProduct({ name: 'P', priceCents: 100, stock: 1 });
    const payment = (txnId: string) =>
      store.applyPayment({
        orderId: 1,
        status: 'failed',
        txnId,
        now: 0,
        idempotency: { scope: 'payment', keyHash: 'k1', fingerprint: `f-${txnId}` },
      });
    await expect(payment('TXN\u0000789')).rejects.toMatchObject({ code: 'invalid_input' });
    // The failed statement rolled its transaction back, idempotency claim included.
    expect((await adminPool().query(`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(store.schema)}.idempotency_records`)).rows[0]).toEqual({ n: 0 });
    expect((await store.auditSnapshot()).products).toEqual([expect.objectContaining({ productId: product.id, available: 1 })]);
  });

  it('on a LATIN1 database, a name it cannot encode (an emoji) is invalid_input, not an unknown error', async () => {
    const database = `fs_test_latin1_${randomBytes(4).toString('hex')}`;
    await adminPool().query(`CREATE DATABASE ${database} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
    let store: FlashSaleStore | undefined;
    try {
      const url = new URL(PG_URL!);
      url.pathname = `/${database}`;
      store = await openPostgresStore({ connectionString: url.toString(), applicationName: database });
      await expect(store.createProduct({ name: 'Sneaker 😀', priceCents: 100, stock: 1 })).rejects.toMatchObject({ code: 'invalid_input' });
      // What LATIN1 can hold still works.
      await expect(store.createProduct({ name: 'Café', priceCents: 100, stock: 1 })).resolves.toMatchObject({ name: 'Café' });
    } finally {
      await store?.close();
      await adminPool().query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  });
});

import { FlashSaleError, type ReserveRequest } from '@flashsale/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../src/index.js';
import { translateSqliteError } from '../src/sqlite-errors.js';
import { tempDatabase } from './temp-db.js';

/**
 * What a store method throws when SQLite refuses: every case is a real refusal of a real
 * database, except the disk errors, which cannot be caused on purpose.
 */

const stores: SqliteStore[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

function memoryStore(): SqliteStore {
  const store = openSqliteStore({ filename: ':memory:' });
  stores.push(store);
  return store;
}

const hold = (productId: number): ReserveRequest => ({ productId, qty: 1, tokenHash: 'token', createdAt: 0, expiresAt: 60_000 });

/** Runs `write` on the raw connection and returns what it threw. */
function refusalOf(write: () => unknown): unknown {
  try {
    write();
  } catch (err) {
    return err;
  }
  throw new Error('the write was not refused');
}

describe('sqlite store: the schema refuses a value sent to the store', () => {
  it('a negative price is invalid_input, with the driver error as its cause, and creates nothing', async () => {
    const store = memoryStore();
    const refusal = await store.createProduct({ name: 'Sneaker', priceCents: -1, stock: 1 }).catch((err: unknown) => err);
    expect(FlashSaleError.is(refusal, 'invalid_input')).toBe(true);
    expect(refusal).toMatchObject({ message: 'A value is out of the range the store can hold.', cause: { code: 'SQLITE_CONSTRAINT_CHECK' } });
    expect((await store.auditSnapshot()).products).toEqual([]);
  });

  it('a restock that would leave negative stock is invalid_input, and the stock stays', async () => {
    const store = memoryStore();
    const product = await store.createProduct({ name: 'Sneaker', priceCents: 100, stock: 1 });
    await expect(store.restock({ productId: product.id, qty: -5, now: 0 })).rejects.toMatchObject({ name: 'FlashSaleError', code: 'invalid_input' });
    expect((await store.auditSnapshot()).products).toEqual([expect.objectContaining({ available: 1, restocked: 0 })]);
  });

  it('a hold of zero units is invalid_input, and the batch takes nothing', async () => {
    const store = memoryStore();
    const product = await store.createProduct({ name: 'Sneaker', priceCents: 100, stock: 2 });
    await expect(store.reserveHolds([hold(product.id), { ...hold(product.id), qty: 0 }])).rejects.toMatchObject({ code: 'invalid_input' });
    expect((await store.auditSnapshot()).products).toEqual([expect.objectContaining({ available: 2, activeHoldQty: 0 })]);
  });
});

describe('translateSqliteError: a constraint no request can break is reported as a bug', () => {
  it.each([
    ['a hold on no product', 'SQLITE_CONSTRAINT_FOREIGNKEY', (store: SqliteStore) =>
      store.db.prepare(`INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at) VALUES (99, 1, 'active', 't', 0, 1)`).run()],
    ['a second order for one hold', 'SQLITE_CONSTRAINT_UNIQUE', (store: SqliteStore) => {
      store.db.exec(`INSERT INTO products (name, price_cents, available, initial_stock) VALUES ('P', 1, 1, 1);
        INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at) VALUES (1, 1, 'converted', 't', 0, 1)`);
      const order = store.db.prepare(`INSERT INTO orders (hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline)
        VALUES (1, 1, 1, 1, 'pending', 0, 1)`);
      order.run();
      order.run();
    }],
    ['a second record for one idempotency key', 'SQLITE_CONSTRAINT_PRIMARYKEY', (store: SqliteStore) => {
      const record = store.db.prepare(`INSERT INTO idempotency_records VALUES ('hold', 'k', 'f', '{}', 0)`);
      record.run();
      record.run();
    }],
    ['a product without a name', 'SQLITE_CONSTRAINT_NOTNULL', (store: SqliteStore) =>
      store.db.prepare('INSERT INTO products (name, price_cents, available, initial_stock) VALUES (NULL, 1, 1, 1)').run()],
  ])('%s (%s) is an internal error naming it, with the driver error as its cause', (_, code, write) => {
    const store = memoryStore();
    const refusal = refusalOf(() => write(store));
    expect(refusal).toMatchObject({ code });
    const translated = translateSqliteError(refusal, true);
    expect(FlashSaleError.is(translated)).toBe(false);
    expect(translated).toBeInstanceOf(Error);
    expect((translated as Error).message).toContain(code);
    expect((translated as Error).message).toContain('a bug in the SQLite store');
    expect((translated as Error).cause).toBe(refusal);
  });
});

describe('sqlite store: storage that cannot do the work now is storage_unavailable', () => {
  it('a write lock held by another connection past the busy timeout', async () => {
    const db = tempDatabase();
    cleanups.push(db.remove);
    const holder = openSqliteStore({ filename: db.filename });
    const waiter = openSqliteStore({ filename: db.filename, busyTimeoutMs: 0 });
    stores.push(holder, waiter);
    const product = await holder.createProduct({ name: 'Sneaker', priceCents: 100, stock: 1 });
    holder.db.exec('BEGIN IMMEDIATE');
    await expect(waiter.reserveHolds([hold(product.id)])).rejects.toMatchObject({
      name: 'FlashSaleError',
      code: 'storage_unavailable',
      cause: { code: expect.stringMatching(/^SQLITE_BUSY/) },
    });
    holder.db.exec('ROLLBACK');
    expect((await waiter.reserveHolds([hold(product.id)]))[0]).toMatchObject({ kind: 'done', outcome: { kind: 'held' } });
  });

  it('a full database', async () => {
    const store = memoryStore();
    store.db.pragma(`max_page_count = ${Number(store.db.pragma('page_count', { simple: true }))}`);
    await expect(store.createProduct({ name: 'x'.repeat(100_000), priceCents: 100, stock: 1 })).rejects.toMatchObject({
      code: 'storage_unavailable',
      cause: { code: 'SQLITE_FULL' },
    });
  });

  it('a closed connection', async () => {
    const store = memoryStore();
    await store.close();
    await expect(store.getProduct(1)).rejects.toMatchObject({ code: 'storage_unavailable' });
    await expect(store.reserveHolds([hold(1)])).rejects.toMatchObject({ code: 'storage_unavailable' });
    await expect(store.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
  });

  it.each(['SQLITE_IOERR', 'SQLITE_IOERR_FSYNC', 'SQLITE_IOERR_WRITE', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED_SHAREDCACHE'])(
    'a disk or lock error of any extended code (%s)',
    (code) => {
      const err = Object.assign(new Error('disk said no'), { code });
      expect(translateSqliteError(err, true)).toMatchObject({ name: 'FlashSaleError', code: 'storage_unavailable', cause: err });
    },
  );
});

describe('translateSqliteError: everything else', () => {
  it('passes flashsale errors and errors without a SQLite code through unchanged', () => {
    const answer = new FlashSaleError('insufficient_stock', 'Not enough stock.');
    const bug = new Error('stock of product 1 changed inside a write transaction');
    expect(translateSqliteError(answer, true)).toBe(answer);
    expect(translateSqliteError(bug, true)).toBe(bug);
  });
});

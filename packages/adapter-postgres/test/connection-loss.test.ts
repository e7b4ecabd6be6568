import { createFlashSale, FlashSaleError, type FlashSale } from '@flashsale/core';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore, type PostgresStore } from '../src/index.js';
import { holdKey, lockProductRow, waitingBackend } from './support/row-locks.js';
import { adminPool, closeTestStores, endAdminPool, openTestStore, PG_URL } from './support/test-database.js';

/** Counts of what a unit could have half-written, read behind the store's back. */
async function footprint(store: PostgresStore, productId: number) {
  const s = pg.escapeIdentifier(store.schema);
  const { rows } = await adminPool().query(
    `SELECT (SELECT available FROM ${s}.products WHERE id = $1)::int AS available,
            (SELECT count(*) FROM ${s}.holds)::int AS holds,
            (SELECT count(*) FROM ${s}.holds WHERE status = 'active')::int AS active_holds,
            (SELECT string_agg(status, ',' ORDER BY id) FROM ${s}.orders) AS orders,
            (SELECT count(*) FROM ${s}.idempotency_records)::int AS keys`,
    [productId],
  );
  return rows[0] as { available: number; holds: number; active_holds: number; orders: string | null; keys: number };
}

/**
 * Starts `work`, waits until its transaction is blocked on the product row (so it has already
 * written part of its effect), terminates its backend, and returns how `work` ended.
 */
async function killMidTransaction(store: PostgresStore, productId: number, work: () => Promise<unknown>): Promise<unknown> {
  const lock = await lockProductRow(store.schema, productId);
  try {
    const pending = work().then(
      () => new Error('the unit finished although its connection was terminated'),
      (err: unknown) => err,
    );
    const pid = await waitingBackend(adminPool(), store.schema);
    await adminPool().query('SELECT pg_terminate_backend($1)', [pid]);
    return await pending;
  } finally {
    await lock.release();
  }
}

describe.skipIf(!PG_URL)('postgres when connections die or wait', () => {
  const stores: PostgresStore[] = [];
  const open = async (options: Parameters<typeof openTestStore>[0] = {}) => {
    const store = await openTestStore(options);
    stores.push(store);
    let now = 1_000_000;
    const sale = createFlashSale({ store, clock: () => now, holdTtlMs: 1_000, paymentTtlMs: 60_000 });
    return { store, sale, advance: (ms: number) => (now += ms) };
  };
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  async function expectHealthy(sale: FlashSale) {
    expect(await sale.verify()).toMatchObject({ ok: true, violations: [] });
  }

  it('leaves nothing of a keyed hold whose connection is killed after it claimed the key', async () => {
    const { store, sale } = await open();
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
    const before = await footprint(store, id);

    const err = await killMidTransaction(store, id, () => sale.createHold({ productId: id, qty: 2, idempotencyKey: 'buy-1' }));
    expect(FlashSaleError.is(err, 'storage_unavailable')).toBe(true);
    expect(await footprint(store, id)).toEqual(before);

    // The key was not left claimed, and the store works on with a fresh connection.
    await expect(sale.createHold({ productId: id, qty: 2, idempotencyKey: 'buy-1' })).resolves.toMatchObject({ qty: 2, replayed: false });
    expect(await footprint(store, id)).toMatchObject({ available: 3, holds: 1, keys: 1 });
    await expectHealthy(sale);
  });

  it('leaves an order pending when a failed payment is killed between the order and the stock', async () => {
    const { store, sale } = await open();
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
    const hold = await sale.createHold({ productId: id, qty: 2 });
    const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
    const before = await footprint(store, id);

    const err = await killMidTransaction(store, id, () => sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: 'pay-1' }));
    expect(FlashSaleError.is(err, 'storage_unavailable')).toBe(true);
    expect(await footprint(store, id)).toEqual({ ...before, orders: 'pending' });

    await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: 'pay-1' })).resolves.toMatchObject({
      orderStatus: 'failed',
      replayed: false,
    });
    expect(await footprint(store, id)).toMatchObject({ available: 5, orders: 'failed' });
    await expectHealthy(sale);
  });

  it('leaves every hold active when a release pass is killed before it returned the stock', async () => {
    const { store, sale, advance } = await open();
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 10 });
    for (let i = 0; i < 4; i++) await sale.createHold({ productId: id, qty: 2 });
    advance(1_000);
    const before = await footprint(store, id);

    const err = await killMidTransaction(store, id, () => sale.releaseExpired());
    expect(FlashSaleError.is(err, 'storage_unavailable')).toBe(true);
    expect(await footprint(store, id)).toEqual({ ...before, active_holds: 4 });

    expect(await sale.releaseExpired()).toMatchObject({ holds: 4, units: 8 });
    expect(await footprint(store, id)).toMatchObject({ available: 10, active_holds: 0 });
    await expectHealthy(sale);
  });

  it('survives the server ending its idle connections, and serves on new ones', async () => {
    const { store, sale } = await open();
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
    await Promise.all([sale.getProduct(id), sale.getProduct(id), sale.getProduct(id)]);
    expect(store.pool.idleCount).toBeGreaterThan(0);
    await adminPool().query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [store.schema]);
    // Each idle client hears of its end through an 'error' event, which must not crash the process.
    while (store.pool.idleCount > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
    await expectHealthy(sale);
  });

  it('answers storage_unavailable, not a hang, when a row stays locked past lock_timeout', async () => {
    const { store, sale } = await open({ lockTimeoutMs: 200 });
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
    const lock = await lockProductRow(store.schema, id);
    try {
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(sale.createHold({ productId: id, qty: 1, idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'storage_unavailable' });
    } finally {
      await lock.release();
    }
    expect(await footprint(store, id)).toMatchObject({ available: 5, holds: 0, keys: 0 });
  });

  it('waits for a first request still holding its key, then replays what it stored', async () => {
    const { store } = await open();
    const { id } = await store.createProduct({ name: 'Sneaker', priceCents: 1000, stock: 5 });
    const first = await holdKey(store.schema, 'hold', 'key-a');
    const request = {
      productId: id,
      qty: 1,
      tokenHash: 'ab'.repeat(32),
      createdAt: 0,
      expiresAt: 1_000,
      idempotency: { scope: 'hold' as const, keyHash: 'key-a', fingerprint: 'second' },
    };
    const second = store.reserveHolds([request]);
    await waitingBackend(adminPool(), store.schema);
    await first.commit('{"stored":true}');
    expect(await second).toEqual([{ kind: 'replay', fingerprint: 'first', body: '{"stored":true}' }]);
    expect(await footprint(store, id)).toMatchObject({ available: 5, holds: 0, keys: 1 });
  });

  it('answers idempotency_in_flight when the first request holds its key past lock_timeout, then acts once it is gone', async () => {
    const { store } = await open({ lockTimeoutMs: 200 });
    const { id } = await store.createProduct({ name: 'Sneaker', priceCents: 1000, stock: 5 });
    const request = {
      productId: id,
      qty: 1,
      tokenHash: 'ab'.repeat(32),
      createdAt: 0,
      expiresAt: 1_000,
      idempotency: { scope: 'hold' as const, keyHash: 'key-b', fingerprint: 'fp' },
    };
    const first = await holdKey(store.schema, 'hold', 'key-b');
    try {
      await expect(store.reserveHolds([request])).rejects.toMatchObject({ code: 'idempotency_in_flight' });
    } finally {
      await first.rollback();
    }
    expect(await footprint(store, id)).toMatchObject({ available: 5, holds: 0, keys: 0 });
    const [result] = await store.reserveHolds([request]);
    expect(result).toMatchObject({ kind: 'done', outcome: { kind: 'held', stockLeft: 4 } });
  });

  it('answers storage_unavailable when the server cannot be reached, and opens no connection', async () => {
    const url = 'postgres://postgres@127.0.0.1:1/test';
    await expect(openPostgresStore({ connectionString: url })).rejects.toMatchObject({ code: 'storage_unavailable' });
    const store = await openPostgresStore({ connectionString: url, migrate: false });
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(store.getProduct(1)).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(store.reserveHolds([{ productId: 1, qty: 1, tokenHash: 'x', createdAt: 0, expiresAt: 1 }])).rejects.toMatchObject({
        code: 'storage_unavailable',
      });
    } finally {
      await store.close();
    }
    expect(store.pool.totalCount).toBe(0);
  });
});

import { createFlashSale, FlashSaleError, type FlashSale } from '@flashsale/core';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openMysqlStore, type MysqlStore } from '../src/index.js';
import { holdKey, lockProductRow, waitingConnection } from './support/row-locks.js';
import { adminPool, closeTestStores, connectionsOn, endAdminPool, MYSQL_URL, openTestStore } from './support/test-database.js';

/** Counts of what a unit could have half-written, read behind the store's back. */
async function footprint(store: MysqlStore, productId: number) {
  const d = `\`${store.database}\``;
  const [rows] = await adminPool().query<RowDataPacket[]>(
    `SELECT (SELECT available FROM ${d}.products WHERE id = ?) AS available,
            (SELECT COUNT(*) FROM ${d}.holds) AS holds,
            (SELECT COUNT(*) FROM ${d}.holds WHERE status = 'active') AS active_holds,
            (SELECT GROUP_CONCAT(status ORDER BY id) FROM ${d}.orders) AS orders,
            (SELECT COUNT(*) FROM ${d}.idempotency_records) AS \`keys\``,
    [productId],
  );
  const row = rows[0]!;
  return { available: Number(row.available), holds: Number(row.holds), active_holds: Number(row.active_holds), orders: row.orders as string | null, keys: Number(row.keys) };
}

/**
 * Starts `work`, waits until its transaction is blocked on the product row (so it has already
 * written part of its effect), kills its connection with `KILL <id>`, and returns how `work` ended.
 */
async function killMidTransaction(store: MysqlStore, productId: number, work: () => Promise<unknown>): Promise<unknown> {
  const lock = await lockProductRow(store.database, productId);
  try {
    const pending = work().then(
      () => new Error('the unit finished although its connection was killed'),
      (err: unknown) => err,
    );
    const id = await waitingConnection(store.database);
    await adminPool().query(`KILL ${id}`);
    return await pending;
  } finally {
    await lock.release();
  }
}

/** A one-unit hold request with an idempotency key, as the engine would send it. */
function keyedHold(productId: number, keyHash: string, fingerprint: string) {
  return { productId, qty: 1, tokenHash: 'ab'.repeat(32), createdAt: 0, expiresAt: 1_000, idempotency: { scope: 'hold' as const, keyHash, fingerprint } };
}

describe.skipIf(!MYSQL_URL)('mysql when connections die or wait', () => {
  const stores: MysqlStore[] = [];
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

  it('leaves nothing of a batch of holds whose connection is killed while it waits for the product row', async () => {
    const { store, sale } = await open();
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 50 });
    const before = await footprint(store, id);
    const requests = Array.from({ length: 8 }, (_, i) => ({ productId: id, qty: 1, tokenHash: `${i}`.padEnd(64, 'a'), createdAt: 0, expiresAt: 1_000 }));

    const err = await killMidTransaction(store, id, () => store.reserveHolds(requests));
    expect(FlashSaleError.is(err, 'storage_unavailable')).toBe(true);
    expect(await footprint(store, id)).toEqual(before);
    expect((await store.reserveHolds(requests)).every((r) => r.kind === 'done' && r.outcome.kind === 'held')).toBe(true);
    expect(await footprint(store, id)).toMatchObject({ available: 42, holds: 8 });
    await expectHealthy(sale);
  });

  it('survives the server killing its idle connections, and serves on new ones', async () => {
    const { store, sale } = await open();
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
    await Promise.all([sale.getProduct(id), sale.getProduct(id), sale.getProduct(id)]);
    const idle = await connectionsOn(store.database);
    expect(idle.length).toBeGreaterThan(0);
    for (const connection of idle) await adminPool().query(`KILL ${connection}`);
    // Each idle connection hears of its end, which must not crash the process; the pool drops it.
    for (let i = 0; i < 100 && (await connectionsOn(store.database)).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
    await expect(sale.createHold({ productId: id, qty: 1, idempotencyKey: 'after-kill' })).resolves.toMatchObject({ qty: 1 });
    await expectHealthy(sale);
  });

  it('answers storage_unavailable, not a hang, when a row stays locked past innodb_lock_wait_timeout', async () => {
    const { store, sale } = await open({ lockWaitTimeoutS: 1 });
    const { id } = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 5 });
    const lock = await lockProductRow(store.database, id);
    try {
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(sale.createHold({ productId: id, qty: 1, idempotencyKey: 'k' })).rejects.toMatchObject({ code: 'storage_unavailable' });
    } finally {
      await lock.release();
    }
    expect(await footprint(store, id)).toMatchObject({ available: 5, holds: 0, keys: 0 });
  });

  it('waits for a first request still holding its key (READ COMMITTED: the duplicate check waits), then replays what it stored', async () => {
    const { store } = await open();
    const { id } = await store.createProduct({ name: 'Sneaker', priceCents: 1000, stock: 5 });
    const first = await holdKey(store.database, 'hold', 'key-a');
    const request = keyedHold(id, 'key-a', 'second');
    const second = store.reserveHolds([request]);
    await waitingConnection(store.database);
    await first.commit('{"stored":true}');
    expect(await second).toEqual([{ kind: 'replay', fingerprint: 'first', body: '{"stored":true}' }]);
    expect(await footprint(store, id)).toMatchObject({ available: 5, holds: 0, keys: 1 });
  });

  it('acts once the first request holding its key rolls back', async () => {
    const { store } = await open();
    const { id } = await store.createProduct({ name: 'Sneaker', priceCents: 1000, stock: 5 });
    const first = await holdKey(store.database, 'hold', 'key-c');
    const request = keyedHold(id, 'key-c', 'second');
    const second = store.reserveHolds([request]);
    await waitingConnection(store.database);
    await first.rollback();
    expect(await second).toMatchObject([{ kind: 'done', outcome: { kind: 'held', stockLeft: 4 } }]);
    expect(await footprint(store, id)).toMatchObject({ available: 4, holds: 1, keys: 1 });
  });

  it('answers idempotency_in_flight when the first request holds its key past the lock wait timeout, then acts once it is gone', async () => {
    const { store } = await open({ lockWaitTimeoutS: 1 });
    const { id } = await store.createProduct({ name: 'Sneaker', priceCents: 1000, stock: 5 });
    const request = keyedHold(id, 'key-b', 'fp');
    const first = await holdKey(store.database, 'hold', 'key-b');
    try {
      await expect(store.reserveHolds([request])).rejects.toMatchObject({ code: 'idempotency_in_flight' });
    } finally {
      await first.rollback();
    }
    expect(await footprint(store, id)).toMatchObject({ available: 5, holds: 0, keys: 0 });
    const [result] = await store.reserveHolds([request]);
    expect(result).toMatchObject({ kind: 'done', outcome: { kind: 'held', stockLeft: 4 } });
  });

  it('answers storage_unavailable when the server cannot be reached', async () => {
    const uri = 'mysql://root@127.0.0.1:1/test';
    await expect(openMysqlStore({ uri })).rejects.toMatchObject({ code: 'storage_unavailable' });
    const store = await openMysqlStore({ uri, migrate: false, poolSize: 2 });
    try {
      await expect(store.ping()).rejects.toMatchObject({ code: 'storage_unavailable' });
      await expect(store.getProduct(1)).rejects.toMatchObject({ code: 'storage_unavailable' });
      // More failures than the pool has connections: no slot is leaked by a failed connect.
      for (let i = 0; i < 4; i++) {
        await expect(store.reserveHolds([{ productId: 1, qty: 1, tokenHash: 'x', createdAt: 0, expiresAt: 1 }])).rejects.toMatchObject({
          code: 'storage_unavailable',
        });
      }
    } finally {
      await store.close();
    }
  });
});

import { createFlashSale } from '@flashsale/core';
import { settle } from '@flashsale/core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { MysqlStore } from '../src/index.js';
import { closeTestStores, endAdminPool, MYSQL_URL, openTestStore } from './support/test-database.js';

/**
 * Duplicates that reach the server in separate transactions at once (two engines, two pools): the
 * second INSERT IGNORE of a key waits on the first's uncommitted row under READ COMMITTED, then is
 * ignored and replays the committed answer. Within one engine the coalescer would put duplicates
 * in one batch; here nothing but the server keeps them apart.
 */
describe.skipIf(!MYSQL_URL)('mysql: one idempotency key raced across connections', () => {
  const stores: MysqlStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  async function twoEngines() {
    const a = await openTestStore({ poolSize: 6 });
    const b = await openTestStore({ database: a.database, migrate: false, poolSize: 6 });
    stores.push(a, b);
    return [createFlashSale({ store: a }), createFlashSale({ store: b })] as const;
  }

  it('takes stock once for 40 holds with one key, sent through two pools at once, and every answer names the same hold', async () => {
    const [a, b] = await twoEngines();
    const { id } = await a.createProduct({ name: 'Sneaker', price: '10.00', stock: 10 });
    const { ok, errors } = await settle(Array.from({ length: 40 }, (_, i) => (i % 2 ? b : a).createHold({ productId: id, qty: 3, idempotencyKey: 'same-key' })));
    // A duplicate that waited past the lock wait timeout would be idempotency_in_flight, never a second hold.
    expect(errors.map((e) => (e as { code?: string }).code).filter((c) => c !== 'idempotency_in_flight')).toEqual([]);
    expect(new Set(ok.map((h) => h.holdId)).size).toBe(1);
    expect(new Set(ok.map((h) => h.token)).size).toBe(1);
    expect(ok.filter((h) => !h.replayed)).toHaveLength(1);
    expect((await a.getProduct(id)).availableStock).toBe(7);
    expect(await a.verify()).toMatchObject({ ok: true, violations: [] });
  });

  it('applies one failed-payment key once when 30 deliveries race through two pools', async () => {
    const [a, b] = await twoEngines();
    const { id } = await a.createProduct({ name: 'Sneaker', price: '10.00', stock: 4 });
    const hold = await a.createHold({ productId: id, qty: 2 });
    const order = await a.createOrder({ holdId: hold.holdId, token: hold.token });
    const { ok, errors } = await settle(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? b : a).applyPayment({ orderId: order.orderId, status: 'failed', idempotencyKey: 'psp-1' })),
    );
    expect(errors.map((e) => (e as { code?: string }).code).filter((c) => c !== 'idempotency_in_flight')).toEqual([]);
    expect(ok.filter((p) => !p.replayed)).toHaveLength(1);
    expect(new Set(ok.map((p) => p.orderStatus))).toEqual(new Set(['failed']));
    // The stock came back once, not once per delivery.
    expect((await a.getProduct(id)).availableStock).toBe(4);
    expect(await a.verify()).toMatchObject({ ok: true, violations: [] });
  });
});

import { createFlashSale } from '@flashsale/core';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { adminPool, closeTestStores, endAdminPool, openTestStore, PG_URL } from './support/test-database.js';

/**
 * Positions are given in commit order, not insert order: an event whose transaction is still open
 * when a later one commits is numbered after it, so a reader polling `after` never passes it.
 */
describe.skipIf(!PG_URL)('postgres merchant event positions', () => {
  const stores: PostgresStore[] = [];
  afterEach(async () => {
    await closeTestStores(stores.splice(0));
  });
  afterAll(endAdminPool);

  it('an event inserted first but committed last is read after the one committed first, never skipped', async () => {
    const store = await openTestStore();
    stores.push(store);
    const sale = createFlashSale({ store });
    const product = await sale.createProduct({ name: 'Sneaker', price: '10.00', stock: 10 });
    const hold = await sale.createHold({ productId: product.id, qty: 1 });

    const open = await adminPool().connect();
    try {
      await open.query('BEGIN');
      // Appends product.restocked from the trigger, and keeps its transaction open.
      await open.query(`UPDATE ${pg.escapeIdentifier(store.schema)}.products SET available = available + 2, restocked = restocked + 2 WHERE id = $1`, [product.id]);
      const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });

      const first = await sale.readEvents({ after: 0 });
      expect(first.events.map((e) => e.type)).toEqual(['order.created']);
      expect(first.events[0]!.data).toMatchObject({ orderId: order.orderId });

      await open.query('COMMIT');
      const second = await sale.readEvents({ after: first.next });
      expect(second.events).toEqual([expect.objectContaining({ type: 'product.restocked', data: { productId: product.id, qty: 2, availableStock: 11 } })]);
      expect(second.events[0]!.position).toBeGreaterThan(first.next);
      // Inserted before the order's event, numbered after it.
      const seqs = await adminPool().query<{ type: string; seq: string }>(`SELECT type, seq FROM ${pg.escapeIdentifier(store.schema)}.merchant_events ORDER BY seq`);
      expect(seqs.rows.map((r) => r.type)).toEqual(['product.restocked', 'order.created']);
    } finally {
      await open.query('ROLLBACK').catch(() => {});
      open.release();
    }
  });
});

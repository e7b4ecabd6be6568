import { describe, expect, it } from 'vitest';
import { newKey, pendingOrder } from './flow.js';
import type { Setup } from './setup.js';

/** Text no store can keep exactly: NUL (PostgreSQL refuses it) and unpaired surrogates (no UTF-8 form). */
const UNSTORABLE = ['TXN\u0000789', '\u0000', '\ud800', 'a\udc00b', 'x\ud83d'];

/** Unusual text every store must give back exactly as sent. */
const UNUSUAL = ['😀 Sneaker', 'tab\there', 'bell\u0007', '\u202eRTL', '\ufffe\uffff', 'é', '\u{10ffff}'];

export function textCases(setup: Setup): void {
  describe('text a client sends: one rule on every store', () => {
    it.each(UNSTORABLE)('refuses the product name %j with invalid_input naming the field, and creates nothing', async (bad) => {
      const { sale, store } = await setup();
      await expect(sale.createProduct({ name: `Sneaker${bad}`, price: '1.00', stock: 1 })).rejects.toMatchObject({
        code: 'invalid_input',
        issues: [expect.objectContaining({ path: 'name' })],
      });
      expect((await store.auditSnapshot()).products).toEqual([]);
    });

    it.each(UNSTORABLE)('refuses the txn_id %j without using up the key; a retry with a clean txn_id is applied', async (bad) => {
      const { sale, product } = await setup();
      const id = await product(2);
      const order = await pendingOrder(sale, id, 1);
      const key = newKey('webhook');
      await expect(sale.applyPayment({ orderId: order.orderId, status: 'failed', txnId: bad, idempotencyKey: key })).rejects.toMatchObject({
        code: 'invalid_input',
        issues: [expect.objectContaining({ path: 'txnId' })],
      });
      expect((await sale.getProduct(id)).availableStock).toBe(1);
      const retry = { orderId: order.orderId, status: 'failed' as const, txnId: 'TXN-789', idempotencyKey: key };
      await expect(sale.applyPayment(retry)).resolves.toEqual({ orderId: order.orderId, orderStatus: 'failed', effect: 'failed', replayed: false });
      expect((await sale.getProduct(id)).availableStock).toBe(2);
      // Recorded: the same delivery again is the stored answer.
      await expect(sale.applyPayment(retry)).resolves.toMatchObject({ orderStatus: 'failed', replayed: true });
    });

    it.each(UNSTORABLE)('refuses the hold token %j with invalid_input, and the hold stays usable', async (bad) => {
      const { sale, product } = await setup();
      const hold = await sale.createHold({ productId: await product(1), qty: 1 });
      await expect(sale.createOrder({ holdId: hold.holdId, token: bad })).rejects.toMatchObject({
        code: 'invalid_input',
        issues: [expect.objectContaining({ path: 'token' })],
      });
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token })).resolves.toMatchObject({ status: 'pending' });
    });

    it('gives back unusual text exactly as sent: emoji (surrogate pairs), control characters, noncharacters', async () => {
      const { sale } = await setup();
      for (const name of UNUSUAL) {
        const created = await sale.createProduct({ name, price: '1.00', stock: 1 });
        expect(created.name).toBe(name);
        expect((await sale.getProduct(created.id)).name).toBe(name);
      }
    });
  });
}

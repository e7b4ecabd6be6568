import { describe, expect, it } from 'vitest';
import type { Setup } from './setup.js';

export function orderCases(setup: Setup): void {
  describe('orders', () => {
    it('turns a hold and its token into a pending order for price × qty', async () => {
      const { sale, product, clock } = await setup({ paymentTtlMs: 60_000 });
      const id = await product(10, '99.99');
      const hold = await sale.createHold({ productId: id, qty: 2 });
      const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
      expect(order).toMatchObject({
        holdId: hold.holdId,
        productId: id,
        qty: 2,
        status: 'pending',
        amountCents: 19998,
        amount: '199.98',
        paymentDeadline: clock() + 60_000,
        replayed: false,
      });
      expect((await sale.getProduct(id)).availableStock).toBe(8);
    });

    it('gives the same invalid_hold answer for an unknown hold and for a wrong token', async () => {
      const { sale, product } = await setup();
      const hold = await sale.createHold({ productId: await product(5), qty: 1 });
      const wrongToken = hold.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      const unknown = await sale.createOrder({ holdId: hold.holdId + 1000, token: hold.token }).catch((e: unknown) => e);
      const wrong = await sale.createOrder({ holdId: hold.holdId, token: wrongToken }).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ code: 'invalid_hold' });
      expect(wrong).toMatchObject({ code: 'invalid_hold', message: (unknown as Error).message });
      // The wrong token did not use the hold up.
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token })).resolves.toMatchObject({ status: 'pending' });
    });

    it('refuses a second order on the same hold with hold_used', async () => {
      const { sale, product } = await setup();
      const hold = await sale.createHold({ productId: await product(5), qty: 1 });
      await sale.createOrder({ holdId: hold.holdId, token: hold.token });
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_used' });
    });

    it('refuses an expired hold at once, before any release pass has run', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 1_000 });
      const id = await product(5);
      const hold = await sale.createHold({ productId: id, qty: 2 });
      clock.advance(999);
      const early = await sale.createHold({ productId: id, qty: 1 });
      clock.advance(1);
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_expired' });
      await expect(sale.createOrder({ holdId: early.holdId, token: early.token })).resolves.toMatchObject({ status: 'pending' });
    });

    it('checks the token before telling whether a hold expired or was used', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: 1_000 });
      const hold = await sale.createHold({ productId: await product(5), qty: 1 });
      clock.advance(5_000);
      await expect(sale.createOrder({ holdId: hold.holdId, token: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'invalid_hold' });
    });

    it('refuses a malformed order request with invalid_input', async () => {
      const { sale } = await setup();
      await expect(sale.createOrder({ holdId: 0, token: 'x' })).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(sale.createOrder({ holdId: 1, token: '' })).rejects.toMatchObject({ code: 'invalid_input' });
      await expect(sale.createOrder({ holdId: 1, token: 'x'.repeat(513) })).rejects.toMatchObject({ code: 'invalid_input' });
    });
  });
}

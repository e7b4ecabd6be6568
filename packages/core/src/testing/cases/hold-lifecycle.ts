import { describe, expect, it } from 'vitest';
import type { FlashSaleEvent } from '../../events.js';
import type { FlashSaleStore } from '../../store.js';
import { newKey, pendingOrder } from './flow.js';
import { holdLifecycleRaceCases } from './hold-lifecycle-races.js';
import type { Setup } from './setup.js';

const TTL = 60_000;
const MAX_LIFETIME = 150_000;

/** The buyer's side of a hold: release it, extend it, read it and its order. */
export function holdLifecycleCases(setup: Setup, connectAgain?: (store: FlashSaleStore) => Promise<FlashSaleStore>): void {
  describe('hold lifecycle: release', () => {
    it('gives the stock back at once, and a repeat answers the same with no second effect', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ onEvent: (event) => events.push(event) });
      const id = await product(10);
      const hold = await sale.createHold({ productId: id, qty: 4 });
      expect(await sale.releaseHold({ holdId: hold.holdId, token: hold.token })).toEqual({ holdId: hold.holdId, productId: id, qty: 4, status: 'released', effect: 'released' });
      expect((await sale.getProduct(id)).availableStock).toBe(10);
      expect(await sale.releaseHold({ holdId: hold.holdId, token: hold.token })).toEqual({ holdId: hold.holdId, productId: id, qty: 4, status: 'released', effect: 'none' });
      expect((await sale.getProduct(id)).availableStock).toBe(10);
      expect(events.filter((e) => e.type === 'stock_released')).toEqual([{ type: 'stock_released', cause: 'released', units: 4 }]);
    });

    it('is never released again by an expiry pass, and its units are sold to the next buyer', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(3);
      const hold = await sale.createHold({ productId: id, qty: 3 });
      await sale.releaseHold({ holdId: hold.holdId, token: hold.token });
      await expect(sale.createHold({ productId: id, qty: 3 })).resolves.toMatchObject({ qty: 3 });
      clock.advance(TTL);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 1, units: 3 });
      expect((await sale.getProduct(id)).availableStock).toBe(3);
    });

    it('gives the same invalid_hold for an unknown hold and a wrong token, checked before anything else', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(5);
      const hold = await sale.createHold({ productId: id, qty: 1 });
      const wrongToken = hold.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      const unknown = await sale.releaseHold({ holdId: hold.holdId + 1000, token: hold.token }).catch((e: unknown) => e);
      const wrong = await sale.releaseHold({ holdId: hold.holdId, token: wrongToken }).catch((e: unknown) => e);
      expect(unknown).toMatchObject({ code: 'invalid_hold' });
      expect(wrong).toMatchObject({ code: 'invalid_hold', message: (unknown as Error).message });
      clock.advance(TTL);
      await expect(sale.releaseHold({ holdId: hold.holdId, token: wrongToken })).rejects.toMatchObject({ code: 'invalid_hold' });
      expect((await sale.getProduct(id)).availableStock).toBe(4);
    });

    it('refuses a converted hold with hold_used, and an expired one with hold_expired before and after a pass', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(10);
      const converted = await sale.createHold({ productId: id, qty: 2 });
      await sale.createOrder({ holdId: converted.holdId, token: converted.token });
      await expect(sale.releaseHold({ holdId: converted.holdId, token: converted.token })).rejects.toMatchObject({ code: 'hold_used' });
      const expiring = await sale.createHold({ productId: id, qty: 3 });
      clock.advance(TTL);
      await expect(sale.releaseHold({ holdId: expiring.holdId, token: expiring.token })).rejects.toMatchObject({ code: 'hold_expired' });
      // Refused, so it changed nothing: the pass still owes those 3 units, and gives them back once.
      expect((await sale.getProduct(id)).availableStock).toBe(5);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 1, units: 3 });
      await expect(sale.releaseHold({ holdId: expiring.holdId, token: expiring.token })).rejects.toMatchObject({ code: 'hold_expired' });
      expect((await sale.getProduct(id)).availableStock).toBe(8);
    });

    it('makes a released hold unusable: an order and an extension are refused with hold_released', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const hold = await sale.createHold({ productId: id, qty: 1 });
      await sale.releaseHold({ holdId: hold.holdId, token: hold.token });
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_released' });
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token, idempotencyKey: newKey('order') })).rejects.toMatchObject({ code: 'hold_released' });
      await expect(sale.extendHold({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_released' });
      expect((await sale.getProduct(id)).availableStock).toBe(5);
    });

    it('refuses malformed input with invalid_input', async () => {
      const { sale } = await setup();
      for (const bad of [{ holdId: 0, token: 'x' }, { holdId: 1, token: '' }, { holdId: 1, token: 'x'.repeat(513) }, { holdId: 1.5, token: 'x' }]) {
        await expect(sale.releaseHold(bad)).rejects.toMatchObject({ code: 'invalid_input' });
        await expect(sale.extendHold(bad)).rejects.toMatchObject({ code: 'invalid_input' });
        await expect(sale.getHold(bad)).rejects.toMatchObject({ code: 'invalid_input' });
      }
      await expect(sale.getOrder({ orderId: 0, token: 'x' })).rejects.toMatchObject({ code: 'invalid_input' });
    });
  });

  describe('hold lifecycle: extend', () => {
    it('moves the expiry to now + the hold lifetime, capped at creation + the maximum lifetime', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL, holdMaxLifetimeMs: MAX_LIFETIME });
      const hold = await sale.createHold({ productId: await product(5), qty: 1 });
      const created = clock();
      clock.advance(50_000);
      expect(await sale.extendHold({ holdId: hold.holdId, token: hold.token })).toEqual({ holdId: hold.holdId, expiresAt: created + 50_000 + TTL });
      clock.advance(50_000);
      expect(await sale.extendHold({ holdId: hold.holdId, token: hold.token })).toEqual({ holdId: hold.holdId, expiresAt: created + MAX_LIFETIME });
      clock.advance(10_000);
      await expect(sale.extendHold({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_extension_limit' });
      expect(await sale.getHold({ holdId: hold.holdId, token: hold.token })).toMatchObject({ status: 'active', expiresAt: created + MAX_LIFETIME });
    });

    it('keeps an extended hold past its first expiry: no pass releases it, and it still becomes an order', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL, holdMaxLifetimeMs: MAX_LIFETIME });
      const id = await product(5);
      const hold = await sale.createHold({ productId: id, qty: 2 });
      clock.advance(TTL - 1);
      await sale.extendHold({ holdId: hold.holdId, token: hold.token });
      clock.advance(1);
      expect(await sale.releaseExpired()).toMatchObject({ holds: 0 });
      expect((await sale.getProduct(id)).availableStock).toBe(3);
      await expect(sale.createOrder({ holdId: hold.holdId, token: hold.token })).resolves.toMatchObject({ status: 'pending', qty: 2 });
    });

    it('refuses an expired, a used and an unknown hold as a release does, and changes nothing', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(10);
      const used = await sale.createHold({ productId: id, qty: 1 });
      await sale.createOrder({ holdId: used.holdId, token: used.token });
      await expect(sale.extendHold({ holdId: used.holdId, token: used.token })).rejects.toMatchObject({ code: 'hold_used' });
      await expect(sale.extendHold({ holdId: used.holdId + 1000, token: used.token })).rejects.toMatchObject({ code: 'invalid_hold' });
      await expect(sale.extendHold({ holdId: used.holdId, token: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'invalid_hold' });
      const expiring = await sale.createHold({ productId: id, qty: 1 });
      clock.advance(TTL);
      await expect(sale.extendHold({ holdId: expiring.holdId, token: expiring.token })).rejects.toMatchObject({ code: 'hold_expired' });
      expect(await sale.releaseExpired()).toMatchObject({ holds: 1 });
      await expect(sale.extendHold({ holdId: expiring.holdId, token: expiring.token })).rejects.toMatchObject({ code: 'hold_expired' });
    });

    it('cannot extend a hold whose lifetime is the maximum already', async () => {
      const { sale, product } = await setup({ holdTtlMs: TTL, holdMaxLifetimeMs: TTL });
      const hold = await sale.createHold({ productId: await product(5), qty: 1 });
      await expect(sale.extendHold({ holdId: hold.holdId, token: hold.token })).rejects.toMatchObject({ code: 'hold_extension_limit' });
    });
  });

  describe('hold lifecycle: reads', () => {
    it('reads a hold as it stands: active, then converted with its order id', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(5);
      const hold = await sale.createHold({ productId: id, qty: 2 });
      expect(await sale.getHold({ holdId: hold.holdId, token: hold.token })).toEqual({
        holdId: hold.holdId,
        productId: id,
        qty: 2,
        status: 'active',
        expiresAt: clock() + TTL,
        orderId: null,
      });
      const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
      expect(await sale.getHold({ holdId: hold.holdId, token: hold.token })).toMatchObject({ status: 'converted', orderId: order.orderId });
    });

    it('reads a hold past its expiry as expired before any pass, and a released one as released', async () => {
      const { sale, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(5);
      const expiring = await sale.createHold({ productId: id, qty: 1 });
      const released = await sale.createHold({ productId: id, qty: 1 });
      await sale.releaseHold({ holdId: released.holdId, token: released.token });
      clock.advance(TTL);
      expect(await sale.getHold({ holdId: expiring.holdId, token: expiring.token })).toMatchObject({ status: 'expired', orderId: null });
      expect(await sale.getHold({ holdId: released.holdId, token: released.token })).toMatchObject({ status: 'released' });
      await sale.releaseExpired();
      expect(await sale.getHold({ holdId: expiring.holdId, token: expiring.token })).toMatchObject({ status: 'expired' });
    });

    it('reads an order with its hold token, through payment', async () => {
      const { sale, product } = await setup({ paymentTtlMs: 60_000 });
      const id = await product(5, '12.50');
      const hold = await sale.createHold({ productId: id, qty: 2 });
      const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
      const { replayed: _replayed, ...expected } = order;
      expect(await sale.getOrder({ orderId: order.orderId, token: hold.token })).toEqual(expected);
      await sale.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: newKey('payment') });
      expect(await sale.getOrder({ orderId: order.orderId, token: hold.token })).toEqual({ ...expected, status: 'completed', amount: '25.00', amountCents: 2500 });
    });

    it('gives the same invalid_hold or invalid_order for unknown ids, wrong tokens and another hold\'s token', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      const hold = await sale.createHold({ productId: id, qty: 1 });
      const order = await sale.createOrder({ holdId: hold.holdId, token: hold.token });
      const other = await pendingOrder(sale, id);
      const otherHold = await sale.createHold({ productId: id, qty: 1 });
      const holdRefusals = await Promise.all([
        sale.getHold({ holdId: hold.holdId + 1000, token: hold.token }),
        sale.getHold({ holdId: hold.holdId, token: 'f'.repeat(64) }),
        sale.getHold({ holdId: hold.holdId, token: otherHold.token }),
      ].map((read) => read.catch((e: unknown) => e)));
      const orderRefusals = await Promise.all([
        sale.getOrder({ orderId: order.orderId + 1000, token: hold.token }),
        sale.getOrder({ orderId: order.orderId, token: 'f'.repeat(64) }),
        sale.getOrder({ orderId: other.orderId, token: hold.token }),
      ].map((read) => read.catch((e: unknown) => e)));
      expect(new Set(holdRefusals.map((e) => JSON.stringify([(e as { code: string }).code, (e as Error).message])))).toEqual(new Set([JSON.stringify(['invalid_hold', 'Unknown hold or wrong token.'])]));
      expect(new Set(orderRefusals.map((e) => JSON.stringify([(e as { code: string }).code, (e as Error).message])))).toEqual(new Set([JSON.stringify(['invalid_order', 'Unknown order or wrong token.'])]));
    });
  });

  holdLifecycleRaceCases(setup, connectAgain);
}

import { describe, expect, it } from 'vitest';
import { errorMessage, FlashSaleError } from '../../errors.js';
import type { FlashSaleEvent } from '../../events.js';
import type { Setup } from './setup.js';

/** `tryCreateHold` answers what `createHold` answers, with refusals returned instead of thrown. */
export function tryCreateHoldCases(setup: Setup): void {
  describe('tryCreateHold', () => {
    it('returns the hold createHold would have returned', async () => {
      const { sale, product, clock } = await setup();
      const id = await product(5);
      const attempt = await sale.tryCreateHold({ productId: id, qty: 2 });
      expect(attempt).toMatchObject({ ok: true, hold: { productId: id, qty: 2, expiresAt: clock() + 120_000, replayed: false } });
      expect(attempt.ok && attempt.hold.token).toMatch(/^[0-9a-f]{64}$/);
      expect((await sale.getProduct(id)).availableStock).toBe(3);
    });

    it('returns each refusal createHold throws, with its code and message, and takes nothing', async () => {
      const { sale, product } = await setup();
      const id = await product(2);
      const refusals = [
        { input: { productId: id, qty: 3 }, code: 'insufficient_stock' },
        { input: { productId: 4242, qty: 1 }, code: 'product_not_found' },
      ] as const;
      for (const { input, code } of refusals) {
        const thrown = await sale.createHold(input).catch((e: unknown) => e);
        expect(FlashSaleError.is(thrown, code)).toBe(true);
        expect(await sale.tryCreateHold(input)).toEqual({ ok: false, code, message: (thrown as FlashSaleError).message, replayed: false });
      }
      expect((await sale.getProduct(id)).availableStock).toBe(2);
    });

    it('returns the sold-out refusal for a sold-out stampede, from one store call', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ onEvent: (e) => events.push(e) });
      const id = await product(1);
      await sale.createHold({ productId: id, qty: 1 });
      events.length = 0;
      const answers = await Promise.all(Array.from({ length: 20 }, () => sale.tryCreateHold({ productId: id, qty: 1 })));
      expect(answers).toEqual(Array(20).fill({ ok: false, code: 'insufficient_stock', message: errorMessage('insufficient_stock'), replayed: false }));
      expect(events.filter((e) => e.type === 'reserve_batch')).toEqual([expect.objectContaining({ size: 20 })]);
    });

    it('returns idempotency_key_reuse for a key first used with another request, and replays the same one', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      const first = await sale.tryCreateHold({ productId: id, qty: 1, idempotencyKey: 'try-key' });
      const again = await sale.tryCreateHold({ productId: id, qty: 1, idempotencyKey: 'try-key' });
      expect(first.ok && again.ok && again.hold).toEqual(first.ok && { ...first.hold, replayed: true });
      expect(await sale.tryCreateHold({ productId: id, qty: 2, idempotencyKey: 'try-key' })).toMatchObject({ ok: false, code: 'idempotency_key_reuse', replayed: false });
      expect((await sale.getProduct(id)).availableStock).toBe(9);
    });

    it('still rejects invalid input, which is a mistake of the caller rather than an answer', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      await expect(sale.tryCreateHold({ productId: id, qty: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    });
  });
}

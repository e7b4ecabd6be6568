import { describe, expect, it } from 'vitest';
import { FlashSaleError } from '../../errors.js';
import type { Setup } from './setup.js';

export function productAndHoldCases(setup: Setup): void {
  describe('products', () => {
    it('creates, reads and restocks a product, price as cents and as a decimal string', async () => {
      const { sale } = await setup();
      const created = await sale.createProduct({ name: 'Limited Edition Product', price: '99.99', stock: 50 });
      expect(created).toMatchObject({ name: 'Limited Edition Product', priceCents: 9999, price: '99.99', availableStock: 50 });
      expect(await sale.getProduct(created.id)).toEqual(created);
      expect(await sale.restock({ productId: created.id, qty: 5 })).toMatchObject({ availableStock: 55 });
      expect((await sale.getProduct(created.id)).availableStock).toBe(55);
    });

    it('refuses an unknown product with product_not_found and a bad id with invalid_input', async () => {
      const { sale } = await setup();
      await expect(sale.getProduct(999)).rejects.toMatchObject({ code: 'product_not_found' });
      await expect(sale.restock({ productId: 999, qty: 1 })).rejects.toMatchObject({ code: 'product_not_found' });
      for (const bad of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
        await expect(sale.getProduct(bad)).rejects.toMatchObject({ code: 'invalid_input' });
      }
    });

    it('refuses a malformed product or restock and changes nothing', async () => {
      const { sale, product } = await setup();
      const id = await product(3);
      for (const bad of [
        { name: '', price: '1.00', stock: 1 },
        { name: 'x', price: '1.001', stock: 1 },
        { name: 'x', price: '-1', stock: 1 },
        { name: 'x', price: '1e3', stock: 1 },
        { name: 'x', price: '1.00', stock: -1 },
        { name: 'x', price: '1.00', stock: 1.5 },
      ]) {
        await expect(sale.createProduct(bad)).rejects.toMatchObject({ code: 'invalid_input' });
      }
      await expect(sale.restock({ productId: id, qty: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
      expect((await sale.getProduct(id)).availableStock).toBe(3);
    });
  });

  describe('holds', () => {
    it('takes stock at once and returns a secret token and an expiry', async () => {
      const { sale, product, clock } = await setup();
      const id = await product(10);
      const hold = await sale.createHold({ productId: id, qty: 3 });
      expect(hold).toMatchObject({ productId: id, qty: 3, expiresAt: clock() + 120_000, replayed: false });
      expect(hold.token).toMatch(/^[0-9a-f]{64}$/);
      expect((await sale.getProduct(id)).availableStock).toBe(7);
    });

    it('gives every hold its own token', async () => {
      const { sale, product } = await setup();
      const id = await product(10);
      const tokens = new Set<string>();
      for (let i = 0; i < 10; i++) tokens.add((await sale.createHold({ productId: id, qty: 1 })).token);
      expect(tokens.size).toBe(10);
    });

    it('refuses more than is available with insufficient_stock and takes nothing', async () => {
      const { sale, product } = await setup();
      const id = await product(2);
      const error = await sale.createHold({ productId: id, qty: 3 }).catch((e: unknown) => e);
      expect(FlashSaleError.is(error, 'insufficient_stock')).toBe(true);
      expect((await sale.getProduct(id)).availableStock).toBe(2);
      await sale.createHold({ productId: id, qty: 2 });
      await expect(sale.createHold({ productId: id, qty: 1 })).rejects.toMatchObject({ code: 'insufficient_stock' });
    });

    it('refuses a hold on an unknown product with product_not_found', async () => {
      const { sale } = await setup();
      await expect(sale.createHold({ productId: 4242, qty: 1 })).rejects.toMatchObject({ code: 'product_not_found' });
    });

    it('refuses a qty that is not a positive integer within the maximum with invalid_input', async () => {
      const { sale, product } = await setup({ maxHoldQty: 5 });
      const id = await product(100);
      for (const qty of [0, -1, 1.5, 6, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
        await expect(sale.createHold({ productId: id, qty })).rejects.toMatchObject({ code: 'invalid_input' });
      }
      await expect(sale.createHold({ productId: id, qty: '2' as unknown as number })).rejects.toMatchObject({ code: 'invalid_input' });
      expect((await sale.getProduct(id)).availableStock).toBe(100);
    });

    it('answers insufficient_stock, not invalid_input, for a qty within the maximum but above the stock', async () => {
      const { sale, product } = await setup();
      const id = await product(5);
      await expect(sale.createHold({ productId: id, qty: 1_000_000 })).rejects.toMatchObject({ code: 'insufficient_stock' });
    });
  });
}

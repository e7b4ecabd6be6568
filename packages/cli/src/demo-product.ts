import { FlashSaleError, type FlashSale, type Product } from '@flashsale/core';

/** The product of the README's examples: `curl http://localhost:8000/api/products/1`. */
const DEMO_PRODUCT = { name: 'Limited Edition Product', price: '99.99', stock: 50 } as const;

/**
 * Creates the demo product when the database has none, so the README's examples work on a
 * fresh machine. "None" is judged by product 1: ids start at 1 and products are never deleted, so
 * a database without product 1 has no product. Returns product 1 as it now is, and whether it was
 * created by this call.
 *
 * Two processes seeding the same fresh database at the same instant could both create it; run
 * `flashsale seed` once (or serve with `--no-seed`) when several servers start together.
 *
 * @example const { created, product } = await seedDemoProduct(sale); // product.id === 1 on a fresh database
 */
export async function seedDemoProduct(sale: FlashSale): Promise<{ created: boolean; product: Product }> {
  try {
    return { created: false, product: await sale.getProduct(1) };
  } catch (error) {
    if (!FlashSaleError.is(error, 'product_not_found')) throw error;
  }
  return { created: true, product: await sale.createProduct({ ...DEMO_PRODUCT }) };
}

import type { Product, ProductInput, RestockInput, VerifyReport } from '../api.js';
import { findViolations } from '../audit.js';
import type { EngineContext } from '../engine-context.js';
import { flashSaleError } from '../errors.js';
import { parseCents } from '../money.js';
import { toProduct } from '../records.js';
import { createProductInputSchema, idSchema, parseInput, restockInputSchema } from '../validation.js';

/** Products and their stock: read, create, restock, and the audit over all of them. */
export function catalogUseCases(ctx: EngineContext) {
  const { store } = ctx;

  async function getProduct(id: number): Promise<Product> {
    const record = await store.getProduct(parseInput(idSchema, id));
    if (!record) throw flashSaleError('product_not_found');
    return toProduct(record);
  }

  async function createProduct(input: ProductInput): Promise<Product> {
    const { name, price, stock } = parseInput(createProductInputSchema, input);
    const priceCents = typeof price === 'number' ? price : parseCents(price);
    return toProduct(await store.createProduct({ name, priceCents, stock }));
  }

  async function restock(input: RestockInput): Promise<Product> {
    const { productId, qty } = parseInput(restockInputSchema, input);
    const record = await store.restock({ productId, qty });
    if (!record) throw flashSaleError('product_not_found');
    return toProduct(record);
  }

  async function verify(): Promise<VerifyReport> {
    const snapshot = await store.auditSnapshot();
    const violations = findViolations(snapshot);
    return { ok: violations.length === 0, products: snapshot.products.length, violations };
  }

  return { getProduct, createProduct, restock, verify };
}

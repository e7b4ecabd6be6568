import type { Product, ProductInput, RestockInput, UpdateProductInput, VerifyReport } from '../api.js';
import { findViolations } from '../audit.js';
import { isValidSaleWindow } from '../drops.js';
import type { EngineContext } from '../engine-context.js';
import { flashSaleError } from '../errors.js';
import { parseCents } from '../money.js';
import { toProduct } from '../records.js';
import type { ProductChanges } from '../store.js';
import { createProductInputSchema, idSchema, parseInput, restockInputSchema, updateProductInputSchema } from '../validation.js';

/** Products and their stock: read, create, restock, change, and the audit over all of them. */
export function catalogUseCases(ctx: EngineContext) {
  const { store } = ctx;
  const answer = (record: Parameters<typeof toProduct>[0]) => toProduct(record, ctx.clock());

  async function getProduct(id: number): Promise<Product> {
    const record = await store.getProduct(parseInput(idSchema, id));
    if (!record) throw flashSaleError('product_not_found');
    return answer(record);
  }

  async function createProduct(input: ProductInput): Promise<Product> {
    const { name, price, stock, saleStartsAt = null, saleEndsAt = null, maxPerBuyer = null } = parseInput(createProductInputSchema, input);
    if (!isValidSaleWindow(saleStartsAt, saleEndsAt)) throw flashSaleError('invalid_sale_window');
    return answer(await store.createProduct({ name, priceCents: centsOf(price), stock, saleStartsAt, saleEndsAt, maxPerBuyer }));
  }

  async function restock(input: RestockInput): Promise<Product> {
    const { productId, qty } = parseInput(restockInputSchema, input);
    const record = await store.restock({ productId, qty, now: ctx.clock() });
    if (!record) throw flashSaleError('product_not_found');
    return answer(record);
  }

  // Drops.
  async function updateProduct(input: UpdateProductInput): Promise<Product> {
    const { productId, price, ...rest } = parseInput(updateProductInputSchema, input);
    const changes: ProductChanges = Object.fromEntries(Object.entries(rest).filter(([, value]) => value !== undefined));
    if (price !== undefined) changes.priceCents = centsOf(price);
    const outcome = await store.updateProduct({ productId, changes });
    if (outcome.kind === 'refused') throw flashSaleError(outcome.code);
    return answer(outcome.product);
  }

  async function verify(): Promise<VerifyReport> {
    const snapshot = await store.auditSnapshot();
    const violations = findViolations(snapshot);
    return { ok: violations.length === 0, products: snapshot.products.length, violations };
  }

  return { getProduct, createProduct, restock, updateProduct, verify };
}

function centsOf(price: string | number): number {
  return typeof price === 'number' ? price : parseCents(price);
}

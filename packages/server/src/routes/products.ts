import { createRoute } from '@hono/zod-openapi';
import type { Product } from '@flashsale/core';
import type { RouteDeps } from './deps.js';
import { createRouter } from './router.js';
import { idParam, problemResponses, ProductSchema, PUBLIC } from './schemas.js';

const getProduct = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'get',
    path: '/api/products/{id}',
    tags: ['products'],
    summary: 'View a product, its available stock and its sale window',
    operationId: 'getProduct',
    security: PUBLIC,
    middleware: guards,
    request: { params: idParam('id') },
    responses: {
      200: { description: 'The product', content: { 'application/json': { schema: ProductSchema } } },
      ...problemResponses('invalid_input', 'product_not_found', 'rate_limited', 'storage_unavailable'),
    },
  });

/** GET /api/products/{id}. */
export function productRoutes({ engine, guards }: RouteDeps) {
  return createRouter().openapi(getProduct(guards), async (c) => {
    const product = await engine.getProduct(Number(c.req.valid('param').id));
    return c.json(productBody(product), 200);
  });
}

/** The seed's product shape (price as a decimal string, stock as `available_stock`), and the drop's fields. */
export function productBody(product: Product) {
  return {
    id: product.id,
    name: product.name,
    price: product.price,
    available_stock: product.availableStock,
    sale_starts_at: isoOrNull(product.saleStartsAt),
    sale_ends_at: isoOrNull(product.saleEndsAt),
    max_per_buyer: product.maxPerBuyer,
    sale_status: product.saleStatus,
  };
}

function isoOrNull(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

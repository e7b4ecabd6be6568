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
    summary: 'View a product and its available stock',
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

/** The seed's product shape: price as a decimal string, stock as `available_stock`. */
export function productBody(product: Product) {
  return { id: product.id, name: product.name, price: product.price, available_stock: product.availableStock };
}

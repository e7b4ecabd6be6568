import { DECIMAL_PRICE, INPUT_LIMITS } from '@flashsale/core';
import { createRoute, z } from '@hono/zod-openapi';
import { readJsonBody } from '../node-http/json-input.js';
import type { RouteDeps } from './deps.js';
import { documentedRoute } from './json-route.js';
import { productBody } from './products.js';
import { createRouter } from './router.js';
import { idParam, problemResponses, ProductSchema, textField } from './schemas.js';

/** The security scheme name the admin routes declare in /openapi.json. */
const ADMIN_SECURITY = 'adminBearer';

const security = [{ [ADMIN_SECURITY]: [] }];

const STOCK_RULE = `must be a non-negative integer, at most ${INPUT_LIMITS.stock.max}`;
const RESTOCK_RULE = `must be a positive integer, at most ${INPUT_LIMITS.restockQty.max}`;

const CreateProductRequest = z
  .strictObject({
    name: textField(INPUT_LIMITS.productName.maxLength, { trim: true }).openapi({ example: 'Limited Edition Product' }),
    price: z
      .string()
      .regex(DECIMAL_PRICE, { error: 'must be a decimal string up to 9999999.99 with at most two places, like "99.99"' })
      .openapi({ example: '99.99' }),
    stock: z
      .int({ error: STOCK_RULE })
      .nonnegative({ error: STOCK_RULE })
      .max(INPUT_LIMITS.stock.max, { error: STOCK_RULE })
      .openapi({ example: 50 }),
  })
  .openapi('CreateProductRequest');

const RestockRequest = z
  .strictObject({
    qty: z
      .int({ error: RESTOCK_RULE })
      .positive({ error: RESTOCK_RULE })
      .max(INPUT_LIMITS.restockQty.max, { error: RESTOCK_RULE })
      .openapi({ example: 10 }),
  })
  .openapi('RestockRequest');

const createProductRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'post',
    path: '/api/admin/products',
    tags: ['admin'],
    summary: 'Create a product',
    operationId: 'createProduct',
    security,
    middleware: guards,
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: CreateProductRequest },
        },
      },
    },
    responses: {
      201: { description: 'The new product', content: { 'application/json': { schema: ProductSchema } } },
      ...problemResponses('invalid_input', 'unauthorized', 'payload_too_large', 'storage_unavailable'),
    },
  });

const restockRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'post',
    path: '/api/admin/products/{id}/restock',
    tags: ['admin'],
    summary: 'Add stock to a product',
    operationId: 'restockProduct',
    security,
    middleware: guards,
    request: {
      params: idParam('id'),
      body: {
        required: true,
        content: {
          'application/json': { schema: RestockRequest },
        },
      },
    },
    responses: {
      200: { description: 'The product after restocking', content: { 'application/json': { schema: ProductSchema } } },
      ...problemResponses('invalid_input', 'unauthorized', 'product_not_found', 'payload_too_large', 'storage_unavailable'),
    },
  });

/** The admin API; mounted only when an admin token is configured. */
export function adminRoutes({ engine, guards, maxBodyBytes }: RouteDeps & { maxBodyBytes: number }) {
  const router = createRouter();
  router.openAPIRegistry.registerComponent('securitySchemes', ADMIN_SECURITY, { type: 'http', scheme: 'bearer' });
  return router
    .openapi(documentedRoute(router, createProductRoute(guards)), async (c) => {
      const product = await engine.createProduct(await readJsonBody(c, CreateProductRequest, maxBodyBytes));
      return c.json(productBody(product), 201);
    })
    .openapi(documentedRoute(router, restockRoute(guards)), async (c) => {
      const { qty } = await readJsonBody(c, RestockRequest, maxBodyBytes);
      const product = await engine.restock({ productId: Number(c.req.valid('param').id), qty });
      return c.json(productBody(product), 200);
    });
}

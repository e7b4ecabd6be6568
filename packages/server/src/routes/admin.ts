import { DECIMAL_PRICE, INPUT_LIMITS } from '@flashsale/core';
import { createRoute, z } from '@hono/zod-openapi';
import { readJsonBody } from '../node-http/json-input.js';
import type { RouteDeps } from './deps.js';
import { documentedRoute } from './json-route.js';
import { productBody } from './products.js';
import { createRouter } from './router.js';
import { idParam, problemResponses, ProductSchema, saleInstant, textField } from './schemas.js';

/** The security scheme name the admin routes declare in /openapi.json. */
const ADMIN_SECURITY = 'adminBearer';

const security = [{ [ADMIN_SECURITY]: [] }];

const STOCK_RULE = `must be a non-negative integer, at most ${INPUT_LIMITS.stock.max}`;
const RESTOCK_RULE = `must be a positive integer, at most ${INPUT_LIMITS.restockQty.max}`;
const LIMIT_RULE = `must be a positive integer, at most ${INPUT_LIMITS.maxPerBuyer.max}, or null for no limit`;

const productName = textField(INPUT_LIMITS.productName.maxLength, { trim: true }).openapi({ example: 'Limited Edition Product' });
const productPrice = z
  .string()
  .regex(DECIMAL_PRICE, { error: 'must be a decimal string up to 9999999.99 with at most two places, like "99.99"' })
  .openapi({ example: '99.99' });

// Drops: the window and the limit, each nullable (null: none).
const saleFields = {
  sale_starts_at: saleInstant.nullable().openapi({ example: '2030-01-01T09:00:00Z', description: 'No hold before this instant (ISO-8601 with a zone); null: none.' }),
  sale_ends_at: saleInstant.nullable().openapi({ example: '2030-01-01T10:00:00Z', description: 'No hold from this instant on; must be after sale_starts_at; null: none.' }),
  max_per_buyer: z
    .int({ error: LIMIT_RULE })
    .positive({ error: LIMIT_RULE })
    .max(INPUT_LIMITS.maxPerBuyer.max, { error: LIMIT_RULE })
    .nullable()
    .openapi({ example: 2, description: 'The most units one buyer may have in active holds, pending and completed orders; null: no limit.' }),
};

const CreateProductRequest = z
  .strictObject({
    name: productName,
    price: productPrice,
    stock: z
      .int({ error: STOCK_RULE })
      .nonnegative({ error: STOCK_RULE })
      .max(INPUT_LIMITS.stock.max, { error: STOCK_RULE })
      .openapi({ example: 50 }),
    sale_starts_at: saleFields.sale_starts_at.optional(),
    sale_ends_at: saleFields.sale_ends_at.optional(),
    max_per_buyer: saleFields.max_per_buyer.optional(),
  })
  .openapi('CreateProductRequest');

const UpdateProductRequest = z
  .strictObject({
    name: productName.optional(),
    price: productPrice.optional(),
    sale_starts_at: saleFields.sale_starts_at.optional(),
    sale_ends_at: saleFields.sale_ends_at.optional(),
    max_per_buyer: saleFields.max_per_buyer.optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { error: 'name at least one field to change' })
  .openapi('UpdateProductRequest');

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
      ...problemResponses('invalid_input', 'invalid_sale_window', 'unauthorized', 'payload_too_large', 'storage_unavailable'),
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

const updateProductRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'patch',
    path: '/api/admin/products/{id}',
    tags: ['admin'],
    summary: "Change a product's name, price, sale window or per-buyer limit",
    description:
      'Any subset of the fields; null clears the window side or the limit. The window is checked merged with the stored values, in the same transaction: an end not after the start is 400 invalid_sale_window and changes nothing. Every hold request after the answer sees the change, on every server process.',
    operationId: 'updateProduct',
    security,
    middleware: guards,
    request: {
      params: idParam('id'),
      body: { required: true, content: { 'application/json': { schema: UpdateProductRequest } } },
    },
    responses: {
      200: { description: 'The product after the change', content: { 'application/json': { schema: ProductSchema } } },
      ...problemResponses('invalid_input', 'invalid_sale_window', 'unauthorized', 'product_not_found', 'payload_too_large', 'storage_unavailable'),
    },
  });

/** Drops: a sale instant as the engine takes it (epoch ms), keeping null and absence apart. */
function instantOf(text: string | null | undefined): number | null | undefined {
  return text === undefined || text === null ? text : Date.parse(text);
}

/** The admin API; mounted only when an admin token is configured. */
export function adminRoutes({ engine, guards, maxBodyBytes }: RouteDeps & { maxBodyBytes: number }) {
  const router = createRouter();
  router.openAPIRegistry.registerComponent('securitySchemes', ADMIN_SECURITY, { type: 'http', scheme: 'bearer' });
  return router
    .openapi(documentedRoute(router, createProductRoute(guards)), async (c) => {
      const { sale_starts_at, sale_ends_at, max_per_buyer, ...product } = await readJsonBody(c, CreateProductRequest, maxBodyBytes);
      const created = await engine.createProduct({ ...product, saleStartsAt: instantOf(sale_starts_at), saleEndsAt: instantOf(sale_ends_at), maxPerBuyer: max_per_buyer });
      return c.json(productBody(created), 201);
    })
    .openapi(documentedRoute(router, updateProductRoute(guards)), async (c) => {
      const { sale_starts_at, sale_ends_at, max_per_buyer, ...rest } = await readJsonBody(c, UpdateProductRequest, maxBodyBytes);
      const changes = { ...rest, saleStartsAt: instantOf(sale_starts_at), saleEndsAt: instantOf(sale_ends_at), maxPerBuyer: max_per_buyer };
      const product = await engine.updateProduct({
        productId: Number(c.req.valid('param').id),
        ...Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)),
      });
      return c.json(productBody(product), 200);
    })
    .openapi(documentedRoute(router, restockRoute(guards)), async (c) => {
      const { qty } = await readJsonBody(c, RestockRequest, maxBodyBytes);
      const product = await engine.restock({ productId: Number(c.req.valid('param').id), qty });
      return c.json(productBody(product), 200);
    });
}

import type { HoldState } from '@flashsale/core';
import { createRoute, z } from '@hono/zod-openapi';
import { readJsonBody } from '../node-http/json-input.js';
import type { RouteDeps } from './deps.js';
import { documentedRoute } from './json-route.js';
import { createRouter } from './router.js';
import { holdTokenHeaders, HoldStatusSchema, HoldTokenRequest, idParam, problemResponses, PUBLIC } from './schemas.js';

/*
 * The buyer's side of a hold: give it back, extend it, read where it stands. Every one is proven
 * by the hold's token, and an unknown hold and a wrong token get the same 403, as for an order.
 */

const expiresAt = z.string().openapi({ example: '2025-12-02T10:34:00.000Z', description: 'ISO-8601, UTC' });

const releaseRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'post',
    path: '/api/holds/{id}/release',
    tags: ['holds'],
    summary: 'Give a hold back: its stock is on sale again at once',
    description: 'A repeat answers the same, with no second effect.',
    operationId: 'releaseHold',
    security: PUBLIC,
    middleware: guards,
    request: { params: idParam('id'), body: { required: true, content: { 'application/json': { schema: HoldTokenRequest } } } },
    responses: {
      200: {
        description: 'The hold is released and its stock is back (now, or by the same earlier release).',
        content: {
          'application/json': {
            schema: z
              .object({ hold_id: z.int().openapi({ example: 123 }), status: z.literal('released'), qty: z.int().openapi({ example: 2 }) })
              .openapi('HoldReleased'),
          },
        },
      },
      ...problemResponses('invalid_input', 'hold_used', 'hold_expired', 'invalid_hold', 'payload_too_large', 'rate_limited', 'storage_unavailable'),
    },
  });

const extendRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'post',
    path: '/api/holds/{id}/extend',
    tags: ['holds'],
    summary: 'Extend a hold: its expiry moves to now + the hold lifetime, at most its creation + the maximum lifetime',
    operationId: 'extendHold',
    security: PUBLIC,
    middleware: guards,
    request: { params: idParam('id'), body: { required: true, content: { 'application/json': { schema: HoldTokenRequest } } } },
    responses: {
      200: {
        description: 'The new expiry. No expiry pass releases the hold before it.',
        content: { 'application/json': { schema: z.object({ hold_id: z.int().openapi({ example: 123 }), expires_at: expiresAt }).openapi('HoldExtended') } },
      },
      ...problemResponses(
        'invalid_input',
        'hold_used',
        'hold_released',
        'hold_expired',
        'invalid_hold',
        'hold_extension_limit',
        'payload_too_large',
        'rate_limited',
        'storage_unavailable',
      ),
    },
  });

const HoldStateSchema = z
  .object({
    hold_id: z.int().openapi({ example: 123 }),
    product_id: z.int().openapi({ example: 1 }),
    qty: z.int().openapi({ example: 2 }),
    status: HoldStatusSchema.openapi({ description: 'A hold past its expiry reads expired at once, before any expiry pass ran.', example: 'active' }),
    expires_at: expiresAt,
    order_id: z.int().nullable().openapi({ example: null, description: 'The order the hold became; null until it is converted.' }),
  })
  .openapi('HoldState');

const getHoldRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'get',
    path: '/api/holds/{id}',
    tags: ['holds'],
    summary: 'Read where a hold stands, with its token in the Hold-Token header',
    operationId: 'getHold',
    security: PUBLIC,
    middleware: guards,
    request: { params: idParam('id'), headers: holdTokenHeaders },
    responses: {
      200: { description: 'The hold as it stands now.', content: { 'application/json': { schema: HoldStateSchema } } },
      ...problemResponses('invalid_input', 'hold_token_required', 'invalid_hold', 'rate_limited', 'storage_unavailable'),
    },
  });

/** The answer of a read of a hold. */
export function holdStateBody(hold: HoldState) {
  return {
    hold_id: hold.holdId,
    product_id: hold.productId,
    qty: hold.qty,
    status: hold.status,
    expires_at: new Date(hold.expiresAt).toISOString(),
    order_id: hold.orderId,
  };
}

/**
 * POST /api/holds/{id}/release and /extend (counted with orders: `writeGuards`), and
 * GET /api/holds/{id} (counted with products: `readGuards`).
 */
export function holdLifecycleRoutes({ engine, writeGuards, readGuards, maxBodyBytes }: Pick<RouteDeps, 'engine'> & { writeGuards: RouteDeps['guards']; readGuards: RouteDeps['guards']; maxBodyBytes: number }) {
  const router = createRouter();
  router.openapi(documentedRoute(router, releaseRoute(writeGuards)), async (c) => {
    const { token } = await readJsonBody(c, HoldTokenRequest, maxBodyBytes);
    const released = await engine.releaseHold({ holdId: Number(c.req.valid('param').id), token });
    return c.json({ hold_id: released.holdId, status: released.status, qty: released.qty }, 200);
  });
  router.openapi(documentedRoute(router, extendRoute(writeGuards)), async (c) => {
    const { token } = await readJsonBody(c, HoldTokenRequest, maxBodyBytes);
    const extended = await engine.extendHold({ holdId: Number(c.req.valid('param').id), token });
    return c.json({ hold_id: extended.holdId, expires_at: new Date(extended.expiresAt).toISOString() }, 200);
  });
  router.openapi(getHoldRoute(readGuards), async (c) => {
    const hold = await engine.getHold({ holdId: Number(c.req.valid('param').id), token: c.req.valid('header')['hold-token'] });
    // An answer read with a secret: no cache along the way may keep it.
    c.header('Cache-Control', 'no-store');
    return c.json(holdStateBody(hold), 200);
  });
  return router;
}

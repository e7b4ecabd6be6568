import { createRoute, z } from '@hono/zod-openapi';
import type { RouteDeps } from './deps.js';
import { createRouter } from './router.js';
import { idempotencyKey, positiveId, problemResponses } from './schemas.js';

function holdRoute(guards: RouteDeps['guards'], maxHoldQty: number) {
  const tooMany = `must be a positive integer, at most ${maxHoldQty}`;
  return createRoute({
    method: 'post',
    path: '/api/holds',
    tags: ['holds'],
    summary: 'Reserve stock for a short time (default 2 minutes)',
    middleware: guards,
    request: {
      headers: z.object({ 'idempotency-key': idempotencyKey.optional() }),
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z
              .strictObject({
                product_id: positiveId.openapi({ example: 1 }),
                qty: z.int({ error: tooMany }).positive({ error: tooMany }).max(maxHoldQty, { error: tooMany }).openapi({ example: 2 }),
              })
              .openapi('HoldRequest'),
          },
        },
      },
    },
    responses: {
      201: {
        description: 'Stock is held. Keep the token: it is shown only once and needed to order.',
        content: {
          'application/json': {
            schema: z
              .object({
                hold_id: z.int().openapi({ example: 123 }),
                token: z.string().openapi({ example: 'a1b2c3d4e5f6...' }),
                expires_at: z.string().openapi({ example: '2025-12-02T10:32:00.000Z', description: 'ISO-8601, UTC' }),
                product_id: z.int().openapi({ example: 1 }),
                qty: z.int().openapi({ example: 2 }),
              })
              .openapi('Hold'),
          },
        },
      },
      ...problemResponses(
        'invalid_input',
        'product_not_found',
        'insufficient_stock',
        'idempotency_key_reuse',
        'payload_too_large',
        'rate_limited',
        'storage_unavailable',
      ),
    },
  });
}

/** POST /api/holds: the hot path of a stampede, so it does no more than validate and call. */
export function holdRoutes({ engine, guards }: RouteDeps) {
  return createRouter().openapi(holdRoute(guards, engine.options.maxHoldQty), async (c) => {
    const body = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const hold = await engine.createHold({
      productId: body.product_id,
      qty: body.qty,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    if (hold.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(
      {
        hold_id: hold.holdId,
        token: hold.token,
        expires_at: new Date(hold.expiresAt).toISOString(),
        product_id: hold.productId,
        qty: hold.qty,
      },
      201,
    );
  });
}

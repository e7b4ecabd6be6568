import { INPUT_LIMITS } from '@flashsale/core';
import { createRoute, z } from '@hono/zod-openapi';
import { readJsonBody } from '../node-http/json-input.js';
import type { RouteDeps } from './deps.js';
import { documentedRoute } from './json-route.js';
import { createRouter } from './router.js';
import { idempotencyKey, OrderStatusSchema, positiveId, problemResponses, PUBLIC, textField } from './schemas.js';

const OrderRequest = z
  .strictObject({
    hold_id: positiveId.openapi({ example: 123 }),
    token: textField(INPUT_LIMITS.token.maxLength).openapi({ example: 'your-hold-token' }),
  })
  .openapi('OrderRequest');

const orderRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'post',
    path: '/api/orders',
    tags: ['orders'],
    summary: 'Turn a hold into a pending order',
    operationId: 'createOrder',
    security: PUBLIC,
    middleware: guards,
    request: {
      headers: z.object({ 'idempotency-key': idempotencyKey.optional() }),
      body: {
        required: true,
        content: {
          'application/json': { schema: OrderRequest },
        },
      },
    },
    responses: {
      201: {
        description: 'The order, waiting for payment.',
        content: {
          'application/json': {
            schema: z
              .object({
                order_id: z.int().openapi({ example: 456 }),
                status: OrderStatusSchema.openapi({ example: 'pending' }),
                amount: z.string().openapi({ example: '199.98', description: 'Decimal string, never a float.' }),
              })
              .openapi('Order'),
          },
        },
      },
      ...problemResponses(
        'invalid_input',
        'hold_expired',
        'hold_used',
        'invalid_hold',
        'idempotency_key_reuse',
        'idempotency_in_flight',
        'payload_too_large',
        'rate_limited',
        'storage_unavailable',
      ),
    },
  });

/** POST /api/orders. An unknown hold and a wrong token get the same 403. */
export function orderRoutes({ engine, guards, maxBodyBytes }: RouteDeps & { maxBodyBytes: number }) {
  const router = createRouter();
  return router.openapi(documentedRoute(router, orderRoute(guards)), async (c) => {
    const body = await readJsonBody(c, OrderRequest, maxBodyBytes);
    const key = c.req.valid('header')['idempotency-key'];
    const order = await engine.createOrder({
      holdId: body.hold_id,
      token: body.token,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    if (order.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json({ order_id: order.orderId, status: order.status, amount: order.amount }, 201);
  });
}

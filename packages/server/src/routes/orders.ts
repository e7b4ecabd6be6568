import { INPUT_LIMITS, type OrderState } from '@flashsale/core';
import { createRoute, z } from '@hono/zod-openapi';
import { parseWith, readJsonBody } from '../node-http/json-input.js';
import { requestHeader } from '../node-http/node-request.js';
import type { RouteDeps } from './deps.js';
import { validatedInHandler } from './json-route.js';
import { createRouter } from './router.js';
import { holdTokenHeaders, idempotencyKey, idParam, OrderStatusSchema, positiveId, problemResponses, PUBLIC, textField } from './schemas.js';

const OrderRequest = z
  .strictObject({
    hold_id: positiveId.openapi({ example: 123 }),
    token: textField(INPUT_LIMITS.token.maxLength).openapi({ example: 'your-hold-token' }),
  })
  .openapi('OrderRequest');

const orderHeaders = z.object({ 'idempotency-key': idempotencyKey.optional() });

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
      headers: orderHeaders,
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

// Hold lifecycle: GET /api/orders/{id}, how a checkout page learns that the payment arrived.
const OrderStateSchema = z
  .object({
    order_id: z.int().openapi({ example: 456 }),
    hold_id: z.int().openapi({ example: 123 }),
    product_id: z.int().openapi({ example: 1 }),
    qty: z.int().openapi({ example: 2 }),
    status: OrderStatusSchema.openapi({ example: 'completed' }),
    amount: z.string().openapi({ example: '199.98', description: 'Decimal string, never a float.' }),
    payment_deadline: z.string().openapi({ example: '2025-12-02T10:47:00.000Z', description: 'ISO-8601, UTC' }),
  })
  .openapi('OrderState');

const orderIdParam = idParam('id');

const getOrderRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'get',
    path: '/api/orders/{id}',
    tags: ['orders'],
    summary: "Read where an order stands, with its hold's token in the Hold-Token header",
    operationId: 'getOrder',
    security: PUBLIC,
    middleware: guards,
    request: { params: orderIdParam, headers: holdTokenHeaders },
    responses: {
      200: { description: 'The order as it stands now.', content: { 'application/json': { schema: OrderStateSchema } } },
      ...problemResponses('invalid_input', 'hold_token_required', 'invalid_order', 'rate_limited', 'storage_unavailable'),
    },
  });

/** The answer of a read of an order. */
export function orderStateBody(order: OrderState) {
  return {
    order_id: order.orderId,
    hold_id: order.holdId,
    product_id: order.productId,
    qty: order.qty,
    status: order.status,
    amount: order.amount,
    payment_deadline: new Date(order.paymentDeadline).toISOString(),
  };
}

/**
 * POST /api/orders (an unknown hold and a wrong token get the same 403), and GET
 * /api/orders/{id} (an unknown order and a wrong token get the same 403), counted with the
 * product reads (`readGuards`).
 */
export function orderRoutes({ engine, guards, readGuards, maxBodyBytes }: RouteDeps & { readGuards: RouteDeps['guards']; maxBodyBytes: number }) {
  const router = createRouter();
  // Validated in the handler, the path then the header as the validator middleware did: a checkout
  // page reads its order every few ms while its webhook is on its way, and the middleware's
  // `c.req.header()` built a web Headers for every read (node-http/node-request.ts).
  router.openapi(validatedInHandler(router, getOrderRoute(readGuards)), async (c) => {
    const { id } = parseWith(orderIdParam, { id: c.req.param('id') }, 'param', c);
    const token = parseWith(holdTokenHeaders, { 'hold-token': requestHeader(c, 'hold-token') }, 'header', c)['hold-token'];
    const order = await engine.getOrder({ orderId: Number(id), token });
    // An answer read with a secret: no cache along the way may keep it.
    c.header('Cache-Control', 'no-store');
    return c.json(orderStateBody(order), 200);
  });
  // Validated in the handler, the header then the body as the validator middleware did, for the
  // same reason as the read above: the orders step of a drop is every winner at once.
  return router.openapi(validatedInHandler(router, orderRoute(guards)), async (c) => {
    const rawKey = requestHeader(c, 'idempotency-key');
    const key = rawKey === undefined ? undefined : parseWith(orderHeaders, { 'idempotency-key': rawKey }, 'header', c)['idempotency-key'];
    const body = await readJsonBody(c, OrderRequest, maxBodyBytes);
    const order = await engine.createOrder({
      holdId: body.hold_id,
      token: body.token,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    if (order.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json({ order_id: order.orderId, status: order.status, amount: order.amount }, 201);
  });
}

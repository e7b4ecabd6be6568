import { createRoute, z } from '@hono/zod-openapi';
import { parseWith, readJson } from '../node-http/json-input.js';
import { requestHeader } from '../node-http/node-request.js';
import { renderEngineRefusal } from '../problems/engine-refusal.js';
import type { RouteDeps } from './deps.js';
import { validatedInHandler } from './json-route.js';
import { createRouter } from './router.js';
import { idempotencyKey, positiveId, problemResponses, PUBLIC } from './schemas.js';

const holdHeaders = z.object({ 'idempotency-key': idempotencyKey.optional() });

function holdRequest(maxHoldQty: number) {
  const tooMany = `must be a positive integer, at most ${maxHoldQty}`;
  return z
    .strictObject({
      product_id: positiveId.openapi({ example: 1 }),
      qty: z.int({ error: tooMany }).positive({ error: tooMany }).max(maxHoldQty, { error: tooMany }).openapi({ example: 2 }),
    })
    .openapi('HoldRequest');
}

function holdRoute(request: ReturnType<typeof holdRequest>, guards: RouteDeps['guards']) {
  return createRoute({
    method: 'post',
    path: '/api/holds',
    tags: ['holds'],
    summary: 'Reserve stock for a short time (default 2 minutes)',
    operationId: 'createHold',
    security: PUBLIC,
    middleware: guards,
    request: {
      headers: holdHeaders,
      body: { required: true, content: { 'application/json': { schema: request } } },
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
        'idempotency_in_flight',
        'payload_too_large',
        'rate_limited',
        'storage_unavailable',
      ),
    },
  });
}

/**
 * POST /api/holds: the hot path of a stampede. It validates in the handler, with the schemas that
 * document it, rather than through zod-openapi's validator middleware (`validatedInHandler`): that
 * chain made the Node adapter build a web Headers and a web body stream for every hold (see
 * node-http/node-request.ts), which cost more CPU than the reservation itself. Refusals come back
 * as values (`tryCreateHold`), not as a thrown error through Hono's error path: most answers of a
 * sold-out stampede are refusals.
 */
export function holdRoutes({ engine, guards, maxBodyBytes }: RouteDeps & { maxBodyBytes: number }) {
  const request = holdRequest(engine.options.maxHoldQty);
  const router = createRouter();
  return router.openapi(validatedInHandler(router, holdRoute(request, guards)), async (c) => {
    const rawKey = requestHeader(c, 'idempotency-key');
    const key = rawKey === undefined ? undefined : parseWith(holdHeaders, { 'idempotency-key': rawKey }, 'header', c)['idempotency-key'];
    const body = parseWith(request, await readJson(c, maxBodyBytes), 'json', c);
    const attempt = await engine.tryCreateHold({
      productId: body.product_id,
      qty: body.qty,
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    if (!attempt.ok) return renderEngineRefusal(c, attempt);
    const hold = attempt.hold;
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

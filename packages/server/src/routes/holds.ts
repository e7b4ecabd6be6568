import { createRoute, z } from '@hono/zod-openapi';
import type { BuyerTokenVerifier } from '../buyer-token.js';
import { parseWith, readJson } from '../node-http/json-input.js';
import { requestHeader } from '../node-http/node-request.js';
import { renderEngineRefusal } from '../problems/engine-refusal.js';
import { HttpProblem } from '../problems/http-problem.js';
import type { RouteDeps } from './deps.js';
import { validatedInHandler } from './json-route.js';
import { createRouter } from './router.js';
import { buyerIdField, idempotencyKey, positiveId, problemResponses, PUBLIC } from './schemas.js';

const holdHeaders = z.object({ 'idempotency-key': idempotencyKey.optional() });

/** The security scheme name of buyer tokens in /openapi.json, when the server verifies them. */
const BUYER_SECURITY = 'buyerBearer';

function holdRequest(maxHoldQty: number) {
  const tooMany = `must be a positive integer, at most ${maxHoldQty}`;
  return z
    .strictObject({
      product_id: positiveId.openapi({ example: 1 }),
      qty: z.int({ error: tooMany }).positive({ error: tooMany }).max(maxHoldQty, { error: tooMany }).openapi({ example: 2 }),
      buyer_id: buyerIdField.optional().openapi({
        description:
          "Who the hold is for; required by a product with max_per_buyer. With buyer tokens on, the token's sub is the buyer and buyer_id, if sent, must equal it.",
      }),
    })
    .openapi('HoldRequest');
}

function holdRoute(request: ReturnType<typeof holdRequest>, guards: RouteDeps['guards'], withTokens: boolean) {
  const responses = problemResponses(
    'invalid_input',
    'buyer_required',
    ...(withTokens ? (['buyer_unauthorized', 'buyer_mismatch'] as const) : []),
    'product_not_found',
    'insufficient_stock',
    'sale_not_started',
    'sale_ended',
    'buyer_limit_exceeded',
    'idempotency_key_reuse',
    'idempotency_in_flight',
    'payload_too_large',
    'rate_limited',
    'storage_unavailable',
  );
  const retryAfter = z.object({
    'Retry-After': z.string().optional().openapi({ description: 'sale_not_started: whole seconds until the sale opens, rounded up (at least 1).', example: '42' }),
  });
  return createRoute({
    method: 'post',
    path: '/api/holds',
    tags: ['holds'],
    summary: 'Reserve stock for a short time (default 2 minutes)',
    description:
      'Refusals are checked in this order: product_not_found; sale_not_started / sale_ended; buyer_required; buyer_limit_exceeded; insufficient_stock.',
    operationId: 'createHold',
    security: withTokens ? [{ [BUYER_SECURITY]: [] }] : PUBLIC,
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
      ...responses,
      409: { ...responses['409']!, headers: retryAfter },
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
 *
 * With `buyerToken`, the buyer is the `sub` of the caller's verified JWT (401 without one), and a
 * `buyer_id` in the body that is not that `sub` is 403.
 */
export function holdRoutes({ engine, guards, maxBodyBytes, buyerToken }: RouteDeps & { maxBodyBytes: number; buyerToken?: BuyerTokenVerifier | undefined }) {
  const request = holdRequest(engine.options.maxHoldQty);
  const router = createRouter();
  if (buyerToken) router.openAPIRegistry.registerComponent('securitySchemes', BUYER_SECURITY, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
  return router.openapi(validatedInHandler(router, holdRoute(request, guards, buyerToken !== undefined)), async (c) => {
    const tokenBuyer = buyerToken ? await buyerToken(requestHeader(c, 'authorization')) : undefined;
    const rawKey = requestHeader(c, 'idempotency-key');
    const key = rawKey === undefined ? undefined : parseWith(holdHeaders, { 'idempotency-key': rawKey }, 'header', c)['idempotency-key'];
    const body = parseWith(request, await readJson(c, maxBodyBytes), 'json', c);
    if (tokenBuyer !== undefined && body.buyer_id !== undefined && body.buyer_id !== tokenBuyer) {
      throw new HttpProblem('buyer_mismatch', "buyer_id is not the buyer of the token (its sub): leave buyer_id out, or send the token's own.");
    }
    const buyerId = tokenBuyer ?? body.buyer_id;
    const attempt = await engine.tryCreateHold({
      productId: body.product_id,
      qty: body.qty,
      ...(key === undefined ? {} : { idempotencyKey: key }),
      ...(buyerId === undefined ? {} : { buyerId }),
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

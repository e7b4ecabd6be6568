import { createHash } from 'node:crypto';
import { INPUT_LIMITS } from '@flashsale/core';
import { createRoute, z } from '@hono/zod-openapi';
import { parseWith, readJsonBody } from '../node-http/json-input.js';
import { requestHeader } from '../node-http/node-request.js';
import type { RouteDeps } from './deps.js';
import { validatedInHandler } from './json-route.js';
import { createRouter } from './router.js';
import { idempotencyKey, OrderStatusSchema, positiveId, problemResponses, PUBLIC, textField } from './schemas.js';

/** The security scheme name of the signed webhook in /openapi.json. */
const WEBHOOK_SECURITY = 'webhookSignature';

/**
 * The signature as an OpenAPI scheme: an apiKey-style header, since OpenAPI has no HMAC scheme.
 * The webhook-id and webhook-timestamp it covers are documented as the route's header parameters.
 */
const webhookSecurityScheme = {
  type: 'apiKey',
  in: 'header',
  name: 'webhook-signature',
  description:
    'Standard Webhooks: `v1,<base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}">` under the webhook secret ' +
    '(`whsec_...`, base64 after the prefix), over the exact body bytes. Several space-separated signatures may be sent; one must match.',
} as const;

const PaymentWebhook = z
  .strictObject({
    order_id: positiveId.openapi({ example: 456 }),
    status: z.enum(['success', 'failed']).openapi({ example: 'success' }),
    txn_id: textField(INPUT_LIMITS.txnId.maxLength).nullish().openapi({ example: 'TXN-789' }),
  })
  .openapi('PaymentWebhook');

const signedHeaders = z.object({
  'webhook-id': z.string().openapi({ example: 'msg_2b8...', description: 'Identifies the delivery; the same on every retry.' }),
  'webhook-timestamp': z.string().openapi({ example: '1764671520', description: 'Unix seconds; within 5 minutes of the server clock.' }),
});

const unsignedHeaders = z.object({ 'idempotency-key': idempotencyKey });

const webhookRoute = (guards: RouteDeps['guards'], signed: boolean) =>
  createRoute({
    method: 'post',
    path: '/api/payments/webhook',
    tags: ['payments'],
    summary: 'Payment provider callback (idempotent)',
    operationId: 'receivePaymentWebhook',
    security: signed ? [{ [WEBHOOK_SECURITY]: [] }] : PUBLIC,
    description: signed
      ? 'Signed with Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature (v1, HMAC-SHA256 of "id.timestamp.body", ' +
        '5-minute tolerance). The webhook-id is the idempotency key: a delivery with a webhook-id already seen gets the first answer ' +
        'with Idempotent-Replayed: true. An Idempotency-Key header is not used (the signature does not cover it).'
      : 'Unsigned: this server has no webhook secret configured. The Idempotency-Key header is the idempotency key.',
    middleware: guards,
    request: {
      headers: signed ? signedHeaders : unsignedHeaders,
      body: {
        required: true,
        content: {
          'application/json': { schema: PaymentWebhook },
        },
      },
    },
    responses: {
      200: {
        description: 'Processed (or the stored answer of an earlier call with the same Idempotency-Key).',
        content: {
          'application/json': {
            schema: z
              .object({ status: z.literal('processed'), order_status: OrderStatusSchema.openapi({ example: 'completed' }) })
              .openapi('PaymentResult'),
          },
        },
      },
      ...problemResponses(
        'invalid_input',
        ...(signed ? [] : (['idempotency_key_missing'] as const)),
        'invalid_signature',
        'order_not_found',
        'payment_conflict',
        'idempotency_key_reuse',
        'idempotency_in_flight',
        'payload_too_large',
        'rate_limited',
        'storage_unavailable',
      ),
    },
  });

/**
 * POST /api/payments/webhook. The engine stores the answer with its effect, keyed.
 *
 * Signed, the key is the webhook-id: the signature covers it, so a delivery replayed within the
 * tolerance window is recognised even when its (unsigned) Idempotency-Key header was changed.
 * Unsigned, the key is the Idempotency-Key header, as in the original API.
 *
 * It validates in the handler (`validatedInHandler`), headers first and then the body, as the
 * validator middleware did: that middleware read the headers through `c.req.header()`, which made
 * the Node adapter build a web Headers for every delivery, a visible share of the server's CPU in
 * the checkout wave's webhook step (docs/benchmarks.md).
 */
export function paymentRoutes({ engine, guards, signed, maxBodyBytes }: RouteDeps & { signed: boolean; maxBodyBytes: number }) {
  const router = createRouter();
  if (signed) router.openAPIRegistry.registerComponent('securitySchemes', WEBHOOK_SECURITY, webhookSecurityScheme);
  return router.openapi(validatedInHandler(router, webhookRoute(guards, signed)), async (c) => {
    const idempotencyKey = signed
      ? webhookIdKey(parseWith(signedHeaders, { 'webhook-id': requestHeader(c, 'webhook-id'), 'webhook-timestamp': requestHeader(c, 'webhook-timestamp') }, 'header', c)['webhook-id'])
      : parseWith(unsignedHeaders, { 'idempotency-key': requestHeader(c, 'idempotency-key') }, 'header', c)['idempotency-key'];
    const body = await readJsonBody(c, PaymentWebhook, maxBodyBytes);
    const payment = await engine.applyPayment({
      orderId: body.order_id,
      status: body.status,
      txnId: body.txn_id ?? null,
      idempotencyKey,
    });
    if (payment.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json({ status: 'processed' as const, order_status: payment.orderStatus }, 200);
  });
}

/**
 * The idempotency key of a signed delivery. Standard Webhooks does not bound the id's length or
 * alphabet, so it is hashed into the engine's key format (1-255 visible ASCII): a validly signed
 * payment is never refused over the shape of its id.
 */
function webhookIdKey(webhookId: string): string {
  return `webhook-id:${createHash('sha256').update(webhookId, 'utf8').digest('hex')}`;
}

import type { MiddlewareHandler } from 'hono';
import { Webhook } from 'standardwebhooks';
import type { AppEnv } from '../env.js';
import { requestHeader } from '../node-http/node-request.js';
import { HttpProblem } from '../problems/http-problem.js';
import { createWebhookVerifier } from '../webhook-signing.js';

/**
 * Requires a valid Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, 5-minute tolerance) over
 * the exact body bytes, before the body is parsed or anything changes. Anything else is 401.
 *
 * @example app.post('/api/payments/webhook', webhookSignature({ secret: 'whsec_...' }), handler)
 */
export function webhookSignature(options: { secret: string }): MiddlewareHandler<AppEnv> {
  const webhook: Webhook = createWebhookVerifier(options.secret);
  return async (c, next) => {
    const id = requestHeader(c, 'webhook-id');
    const timestamp = requestHeader(c, 'webhook-timestamp');
    const signature = requestHeader(c, 'webhook-signature');
    if (!id || !timestamp || !signature) {
      throw new HttpProblem('invalid_signature', 'Signed webhooks need webhook-id, webhook-timestamp and webhook-signature headers.');
    }
    const body = await c.req.text();
    try {
      webhook.verify(body, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature }, { jsonParse: false });
    } catch (err) {
      const reason = err instanceof Error && /timestamp/i.test(err.message)
        ? 'The webhook timestamp is missing, malformed or outside the 5-minute tolerance.'
        : 'The webhook signature does not match the body.';
      throw new HttpProblem('invalid_signature', reason);
    }
    return next();
  };
}

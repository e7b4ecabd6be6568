import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/**
 * The three Standard Webhooks headers of a signed call. A type alias, not an interface, so it can
 * be passed wherever a `Record<string, string>` of headers is expected.
 */
export type WebhookSignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/**
 * Makes a new webhook secret in the Standard Webhooks format: `whsec_` and 32 random bytes in base64.
 *
 * @example const secret = generateWebhookSecret(); // "whsec_8f3J..."
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * Signs a webhook body the way a payment provider would, for tests, the bench and clients.
 * Sign the exact string you send: the signature covers the bytes, not the JSON value.
 *
 * @example
 * const body = JSON.stringify({ order_id: 1, status: 'success' });
 * await fetch(url, { method: 'POST', body, headers: {
 *   'content-type': 'application/json', 'idempotency-key': 'pay-1', ...signWebhook(secret, body) } });
 */
export function signWebhook(
  secret: string,
  body: string,
  options: { id?: string; timestamp?: Date } = {},
): WebhookSignatureHeaders {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = options.timestamp ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': createWebhookVerifier(secret).sign(id, timestamp, body),
  };
}

/** A Standard Webhooks verifier for `secret`, with a clear error when the secret is malformed. */
export function createWebhookVerifier(secret: string): Webhook {
  const problem = new TypeError('A webhook secret must look like "whsec_<base64>" (see generateWebhookSecret()).');
  if (typeof secret !== 'string' || !/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/.test(secret)) throw problem;
  try {
    return new Webhook(secret);
  } catch {
    throw problem;
  }
}

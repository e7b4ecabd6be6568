import { createHash } from 'node:crypto';
import { merchantEventJson, type EventSink, type MerchantEvent } from '@flashsale/core';
import { Pool } from 'undici';
import { createWebhookVerifier } from '../webhook-signing.js';

export interface WebhookSinkOptions {
  /** The receiver: an http(s) URL the operator configured, without credentials. */
  url: string;
  /** The Standard Webhooks secret (`whsec_…`) every delivery is signed with. */
  secret: string;
  /** Connections kept open to the receiver. Default 16. */
  connections?: number;
}

/**
 * An outbound webhook: each event as a JSON POST (the form of `merchantEventJson`), signed with
 * Standard Webhooks, the scheme the server verifies for inbound payment webhooks: `webhook-id` is
 * the event id (stable, so a receiver drops a repeat), `webhook-timestamp` the attempt's time.
 * Only a 2xx answer delivers; any other status, a redirect (never followed: the operator chose
 * the URL, not the receiver), a timeout or a broken connection fails the attempt.
 *
 * @example
 * const delivery = await sale.startEventDelivery({ sinks: [webhookSink({ url: 'https://shop.example/hooks/flashsale', secret })] });
 */
export function webhookSink(options: WebhookSinkOptions): EventSink {
  const url = parseWebhookUrl(options.url);
  const signer = createWebhookVerifier(options.secret);
  const pool = new Pool(url.origin, { connections: options.connections ?? 16, pipelining: 1 });
  const path = `${url.pathname}${url.search}`;
  return {
    id: webhookSinkId(options.url),
    label: `webhook ${url.origin}${url.pathname}`,
    async deliver(event: MerchantEvent, attempt) {
      const body = JSON.stringify(merchantEventJson(event));
      const now = new Date();
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'flashsale-events',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': signer.sign(event.id, now, body),
      };
      let statusCode: number;
      try {
        const answer = await pool.request({ method: 'POST', path, headers, body, signal: attempt.signal });
        statusCode = answer.statusCode;
        // Read and drop the body, so the connection can carry the next delivery.
        await answer.body.dump();
      } catch (error) {
        // Aborted by the delivery loop (timed out, shutting down): its reason says which.
        if (attempt.signal.aborted) throw new Error(attempt.signal.reason instanceof Error ? attempt.signal.reason.message : 'aborted');
        throw new Error(networkReason(error));
      }
      if (statusCode >= 200 && statusCode < 300) return;
      throw new Error(statusCode >= 300 && statusCode < 400 ? `HTTP ${statusCode} (redirects are not followed)` : `HTTP ${statusCode}`);
    },
    close: () => pool.close(),
  };
}

/**
 * The id a webhook URL's queue is kept under: a hash, since the URL itself may carry a secret
 * path or query (`flashsale events:redeliver --url` computes the same from the URL).
 */
export function webhookSinkId(rawUrl: string): string {
  const url = parseWebhookUrl(rawUrl);
  return `webhook:${createHash('sha256').update(url.href).digest('hex').slice(0, 32)}`;
}

/** An http(s) URL without credentials, or a TypeError saying what is wrong with it. */
export function parseWebhookUrl(rawUrl: string): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new TypeError('an events URL must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`an events URL must use http or https, not ${url.protocol.replace(':', '')}`);
  if (url.username || url.password) throw new TypeError('an events URL must not carry credentials: receivers authenticate deliveries by their signature');
  url.hash = '';
  return url;
}

/** Why a request failed, without the URL (it may carry a secret path or query). */
function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'AbortError') return 'timed out';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code === 'UND_ERR_ABORTED' ? 'timed out' : code;
  return error instanceof Error ? error.name : 'request failed';
}

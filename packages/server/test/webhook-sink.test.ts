import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MerchantEvent } from '@flashsale/core';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret, parseWebhookUrl, webhookSink, webhookSinkId } from '../src/index.js';

const SECRET = generateWebhookSecret();
const EVENT: MerchantEvent = {
  id: 'evt_0123456789abcdef0123456789abcdef',
  type: 'order.completed',
  createdAt: Date.parse('2030-01-01T09:00:05.000Z'),
  position: 42,
  data: { orderId: 7, holdId: 12, productId: 1, qty: 2, amountCents: 19_998, amount: '199.98', status: 'completed' },
};

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A receiver answering `status` (and `location` for a redirect), recording each request. */
async function receiver(status: number, extra: Record<string, string> = {}) {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(status, extra).end('answer body');
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen };
}

const attempt = () => ({ number: 1, signal: new AbortController().signal });

describe('webhookSink', () => {
  it('POSTs the event as the JSON of the pull API, signed with Standard Webhooks, webhook-id = the event id', async () => {
    const { base, seen } = await receiver(204);
    const sink = webhookSink({ url: `${base}/hooks/in?tenant=7`, secret: SECRET });
    try {
      await sink.deliver(EVENT, attempt());
    } finally {
      await sink.close?.();
    }
    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect([request!.method, request!.url, request!.headers['content-type'], request!.headers['webhook-id']]).toEqual(['POST', '/hooks/in?tenant=7', 'application/json', EVENT.id]);
    const verified = new Webhook(SECRET).verify(request!.body, request!.headers as Record<string, string>);
    expect(verified).toEqual({
      id: EVENT.id,
      type: 'order.completed',
      created_at: '2030-01-01T09:00:05.000Z',
      position: 42,
      data: { order_id: 7, hold_id: 12, product_id: 1, qty: 2, amount: '199.98', status: 'completed' },
    });
    expect(() => new Webhook(generateWebhookSecret()).verify(request!.body, request!.headers as Record<string, string>)).toThrow();
    // Never the query string, which may carry a secret.
    expect(sink.label).toBe(`webhook ${base}/hooks/in`);
  });

  it('fails on a non-2xx answer and on a redirect, which it does not follow', async () => {
    const failing = await receiver(500);
    const sink = webhookSink({ url: `${failing.base}/x`, secret: SECRET });
    await expect(sink.deliver(EVENT, attempt())).rejects.toThrow(/^HTTP 500$/);
    await sink.close?.();
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const redirecting = await receiver(307, { location: `${failing.base}/elsewhere` });
    const moved = webhookSink({ url: `${redirecting.base}/x`, secret: SECRET });
    await expect(moved.deliver(EVENT, attempt())).rejects.toThrow('HTTP 307 (redirects are not followed)');
    await moved.close?.();
    expect(redirecting.seen.map((r) => r.url)).toEqual(['/x']);
  });

  it('fails with the reason, never the URL, when nothing listens or the attempt is aborted', async () => {
    const sink = webhookSink({ url: 'http://127.0.0.1:9/secret-path?key=s3cr3t', secret: SECRET });
    const refused = await sink.deliver(EVENT, attempt()).catch((error: Error) => error);
    expect((refused as Error).message).toBe('ECONNREFUSED');
    await sink.close?.();

    await receiver(200);
    server!.removeAllListeners('request');
    server!.on('request', () => {}); // never answers
    const slow = webhookSink({ url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/x?key=s3cr3t`, secret: SECRET });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('timed out')), 50);
    const aborted = await slow.deliver(EVENT, { number: 1, signal: controller.signal }).catch((error: Error) => error);
    expect((aborted as Error).message).toBe('timed out');
    expect((aborted as Error).message).not.toContain('s3cr3t');
    await slow.close?.();
  });

  it('takes only http(s) URLs without credentials; the sink id hashes the URL and hides it', () => {
    expect(() => parseWebhookUrl('ftp://example.com/x')).toThrow('an events URL must use http or https, not ftp');
    expect(() => parseWebhookUrl('/relative')).toThrow('an events URL must be an absolute http:// or https:// URL');
    expect(() => parseWebhookUrl('https://user:pw@example.com/x')).toThrow(/must not carry credentials/);
    expect(webhookSinkId('https://example.com/x?key=s3cr3t')).toMatch(/^webhook:[0-9a-f]{32}$/);
    expect(webhookSinkId('https://example.com/x?key=s3cr3t')).toBe(webhookSinkId('https://example.com/x?key=s3cr3t#frag'));
    expect(webhookSinkId('https://example.com/x?key=s3cr3t')).not.toBe(webhookSinkId('https://example.com/x?key=other'));
    expect(() => webhookSink({ url: 'https://example.com/x', secret: 'not a secret' })).toThrow(/whsec_/);
  });
});

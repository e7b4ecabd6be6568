import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { memoryLimiter, type RateLimitPolicy } from '../src/index.js';
import { expectProblem, harness } from './helpers.js';

/** The bindings @hono/node-server passes: a socket with a remote address. */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address, remoteFamily: 'IPv4' } } as unknown as IncomingMessage });

const holdInit = (productId: number, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify({ product_id: productId, qty: 1 }),
});

describe('rate limits', () => {
  test('the 21st hold in a minute from one client is 429 with Retry-After and RateLimit headers, and takes no stock', async () => {
    const h = harness({ rateLimit: {} });
    const id = await h.product(100);
    for (let i = 0; i < 20; i++) {
      const res = await h.app.request('/api/holds', holdInit(id), from('10.0.0.1'));
      expect(res.status).toBe(201);
      expect(res.headers.get('ratelimit-policy')).toBe('"holds";q=20;w=60');
      expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"holds";r=${19 - i};t=\\d+$`));
    }
    const limited = await h.app.request('/api/holds', holdInit(id), from('10.0.0.1'));
    await expectProblem(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-policy')).toBe('"holds";q=20;w=60');
    expect(limited.headers.get('ratelimit')).toBe(`"holds";r=0;t=${retryAfter}`);
    expect(await h.stock(id)).toBe(80);
  });

  test('clients are counted apart by socket address', async () => {
    const h = harness({ rateLimit: { limits: { holds: 2 } } });
    const id = await h.product(100);
    const statuses = [];
    for (const address of ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.2', '10.0.0.2']) {
      statuses.push((await h.app.request('/api/holds', holdInit(id), from(address))).status);
    }
    expect(statuses).toEqual([201, 201, 201, 429, 201, 429]);
  });

  test('X-Forwarded-For is ignored unless trustProxy is set', async () => {
    const h = harness({ rateLimit: { limits: { holds: 1 } } });
    const id = await h.product(100);
    expect((await h.app.request('/api/holds', holdInit(id, { 'x-forwarded-for': '1.1.1.1' }), from('10.0.0.9'))).status).toBe(201);
    // A client cannot escape its limit by inventing a forwarded address.
    expect((await h.app.request('/api/holds', holdInit(id, { 'x-forwarded-for': '2.2.2.2' }), from('10.0.0.9'))).status).toBe(429);
  });

  test('with trustProxy, the right-most X-Forwarded-For address the proxy appended is the client', async () => {
    const h = harness({ trustProxy: 1, rateLimit: { limits: { holds: 1 } } });
    const id = await h.product(100);
    const proxy = from('10.0.0.254');
    const send = (xff: string) => h.app.request('/api/holds', holdInit(id, { 'x-forwarded-for': xff }), proxy);
    expect((await send('203.0.113.1')).status).toBe(201);
    expect((await send('203.0.113.2')).status).toBe(201);
    // What the client wrote before the proxy's entry changes nothing.
    expect((await send('198.51.100.9, 203.0.113.1')).status).toBe(429);
  });

  test('each route has its own budget: products 100, holds 20, orders 20, webhook 1000', async () => {
    const h = harness({ rateLimit: {} });
    const id = await h.product(5);
    const client = from('10.0.0.3');
    const product = await h.app.request(`/api/products/${id}`, {}, client);
    expect(product.headers.get('ratelimit-policy')).toBe('"products";q=100;w=60');
    const order = await h.app.request('/api/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hold_id":1,"token":"x"}' }, client);
    expect(order.headers.get('ratelimit-policy')).toBe('"orders";q=20;w=60');
    const hook = await h.app.request('/api/payments/webhook', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k' }, body: '{"order_id":1,"status":"success"}' }, client);
    expect(hook.headers.get('ratelimit-policy')).toBe('"webhook";q=1000;w=60');
  });

  test('a limit can be switched off per route, or all at once', async () => {
    const perRoute = harness({ rateLimit: { limits: { holds: false, products: 1 } } });
    const id = await perRoute.product(100);
    for (let i = 0; i < 25; i++) expect((await perRoute.app.request('/api/holds', holdInit(id))).status).toBe(201);
    expect((await perRoute.app.request(`/api/products/${id}`)).status).toBe(200);
    expect((await perRoute.app.request(`/api/products/${id}`)).status).toBe(429);

    const off = harness({ rateLimit: false });
    const other = await off.product(100);
    for (let i = 0; i < 25; i++) {
      const res = await off.app.request('/api/holds', holdInit(other));
      expect(res.status).toBe(201);
      expect(res.headers.get('ratelimit')).toBeNull();
    }
  });

  test('the window is configurable', async () => {
    const h = harness({ rateLimit: { windowSec: 3600, limits: { holds: 5 } } });
    const id = await h.product(10);
    const res = await h.app.request('/api/holds', holdInit(id));
    expect(res.headers.get('ratelimit-policy')).toBe('"holds";q=5;w=3600');
  });

  test('createLimiter is the seam for a shared store: it gets each policy and its limiter is used', async () => {
    const policies: RateLimitPolicy[] = [];
    const consumed: string[] = [];
    const h = harness({
      rateLimit: {
        createLimiter: (policy) => {
          policies.push(policy);
          const inner = memoryLimiter(policy);
          return { consume: (key: string) => (consumed.push(`${policy.name}:${key}`), inner.consume(key)) };
        },
      },
    });
    expect(policies.map((p) => [p.name, p.points, p.durationSec])).toEqual([
      ['products', 100, 60],
      ['holds', 20, 60],
      ['orders', 20, 60],
      ['webhook', 1000, 60],
    ]);
    const id = await h.product(5);
    await h.app.request('/api/holds', holdInit(id), from('192.0.2.7'));
    expect(consumed).toEqual(['holds:192.0.2.7']);
  });

  test('when the limiter store fails, requests go through (fail open)', async () => {
    const h = harness({ rateLimit: { createLimiter: () => ({ consume: () => Promise.reject(new Error('limiter store down')) }) } });
    const id = await h.product(5);
    const res = await h.app.request('/api/holds', holdInit(id));
    expect(res.status).toBe(201);
    expect(await h.stock(id)).toBe(4);
  });

  test('a limited request is refused before its body is read: even an oversized body gets 429', async () => {
    const h = harness({ rateLimit: { limits: { holds: 1 } } });
    const id = await h.product(5);
    await h.app.request('/api/holds', holdInit(id));
    const res = await h.app.request('/api/holds', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(20_000) });
    await expectProblem(res, 429, 'rate_limited');
  });
});

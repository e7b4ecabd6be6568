import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createFlashSale } from '@flashsale/core';
import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { clientAddress, serve, type RunningServer, type TrustProxy } from '../src/index.js';
import type { AppEnv } from '../src/env.js';
import { harness } from './helpers.js';
import { appendingProxy, requestFrom } from './support/appending-proxy.js';

/**
 * Behind a proxy that appends the peer it saw to X-Forwarded-For, only the right-most entries are
 * the proxies' word; the rest is whatever the client wrote. Both attacks below go through a real
 * appending proxy, with clients on distinct loopback addresses (127.0.0.2, 127.0.0.3).
 */

const HOLD_LIMIT = 20;
const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const item of running.splice(0).reverse()) await item.close();
});

async function behindProxy(trustProxy: TrustProxy): Promise<{ proxyPort: number; productId: number; server: RunningServer }> {
  const engine = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }) });
  const { id } = await engine.createProduct({ name: 'P', price: '1.00', stock: 1_000 });
  const server = await serve({ engine, port: 0, logger: pino({ level: 'silent' }), sweeper: false, trustProxy, rateLimit: { limits: { holds: HOLD_LIMIT } } });
  running.push(server);
  const proxy = await appendingProxy({ port: server.port });
  running.push(proxy);
  return { proxyPort: proxy.port, productId: id, server };
}

function hold(from: string, proxyPort: number, productId: number, forwardedFor?: string) {
  return requestFrom(from, proxyPort, {
    method: 'POST',
    path: '/api/holds',
    headers: { 'content-type': 'application/json', ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) },
    body: JSON.stringify({ product_id: productId, qty: 1 }),
  });
}

const randomAddress = () => `${randomInt(1, 224)}.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

describe.each<[string, TrustProxy]>([
  ['one hop (--trust-proxy 1)', 1],
  ['the proxy by address (--trust-proxy 127.0.0.1)', ['127.0.0.1']],
])('behind an appending proxy, trusting %s', (_name, trustProxy) => {
  test(`a client sending a random X-Forwarded-For on each of 40 holds is still limited to ${HOLD_LIMIT}`, async () => {
    const { proxyPort, productId } = await behindProxy(trustProxy);
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await hold('127.0.0.2', proxyPort, productId, randomAddress())).status);
    expect(statuses).toEqual([...Array<number>(HOLD_LIMIT).fill(201), ...Array<number>(40 - HOLD_LIMIT).fill(429)]);
  });

  test("a client at 127.0.0.3 writing X-Forwarded-For: 127.0.0.2 spends its own budget, not 127.0.0.2's", async () => {
    const { proxyPort, productId } = await behindProxy(trustProxy);
    const spoofer: number[] = [];
    for (let i = 0; i <= HOLD_LIMIT; i++) spoofer.push((await hold('127.0.0.3', proxyPort, productId, '127.0.0.2')).status);
    expect(spoofer).toEqual([...Array<number>(HOLD_LIMIT).fill(201), 429]);
    expect((await hold('127.0.0.2', proxyPort, productId)).status).toBe(201);
  });
});

/** The bindings @hono/node-server passes: a socket with a remote address. */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } as unknown as IncomingMessage });

describe('clientAddress', () => {
  /** The key clientAddress gives a request from `peer` carrying `forwardedFor`. */
  async function keyOf(trustProxy: TrustProxy, peer: string, forwardedFor?: string): Promise<string> {
    const key = clientAddress({ trustProxy });
    const h = harness({ rateLimit: false });
    let seen = '';
    h.app.get('/who', (c) => {
      seen = key(c as unknown as Parameters<typeof key>[0]);
      return c.text('ok');
    });
    await h.app.request('/who', { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }, from(peer) as AppEnv['Bindings']);
    return seen;
  }

  test.each<[TrustProxy, string, string | undefined, string]>([
    [false, '10.0.0.9', '1.1.1.1', '10.0.0.9'],
    [0, '10.0.0.9', '1.1.1.1', '10.0.0.9'],
    [1, '10.0.0.254', '6.6.6.6, 203.0.113.7', '203.0.113.7'],
    [1, '10.0.0.254', undefined, '10.0.0.254'],
    [2, '10.0.0.254', '6.6.6.6, 203.0.113.7, 10.0.0.1', '203.0.113.7'],
    // Fewer entries than hops: the left-most one there is.
    [3, '10.0.0.254', '203.0.113.7', '203.0.113.7'],
    [['10.0.0.0/8'], '10.0.0.254', '6.6.6.6, 203.0.113.7, 10.0.0.1', '203.0.113.7'],
    ['uniquelocal', '10.0.0.254', '6.6.6.6, 203.0.113.7, 192.168.1.1', '203.0.113.7'],
    // A peer that is not a trusted proxy is the client, whatever it wrote.
    [['10.0.0.0/8'], '198.51.100.1', '203.0.113.7', '198.51.100.1'],
    ['loopback', '::ffff:127.0.0.1', '203.0.113.7', '203.0.113.7'],
    [(address) => address === '10.0.0.254', '10.0.0.254', '6.6.6.6, 203.0.113.7', '203.0.113.7'],
  ])('trustProxy %j, peer %s, X-Forwarded-For %j: the client is %s', async (trustProxy, peer, forwardedFor, expected) => {
    expect(await keyOf(trustProxy, peer, forwardedFor)).toBe(expected);
  });

  test.each<[unknown, RegExp]>([
    [true, /would believe whatever a client writes/],
    [-1, /whole number ≥ 0/],
    [1.5, /whole number ≥ 0/],
    [['10.0.0.1', 'not-an-address'], /invalid IP address: not-an-address/],
    [['10.0.0.0/99'], /invalid range on address/],
    [[], /give the number of proxies/],
    ['', /give the number of proxies/],
  ])('refuses trustProxy %j at start-up', (trustProxy, message) => {
    expect(() => clientAddress({ trustProxy: trustProxy as TrustProxy })).toThrow(message);
    expect(() => harness({ trustProxy: trustProxy as TrustProxy })).toThrow(TypeError);
  });
});

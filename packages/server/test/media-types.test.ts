import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serve, signWebhook, type RunningServer } from '../src/index.js';
import { expectProblem, harness, type Harness } from './helpers.js';

/**
 * Every route with a JSON body reads its Content-Type with one RFC 9110 parser: parameters
 * (an empty one included) and case do not matter, `+json` types are JSON, anything else is
 * refused with 400 unsupported_media_type and changes nothing. In process and over a socket,
 * where the hold route reads Node's request directly.
 */

const ACCEPTED = [
  'application/json',
  'application/json;',
  'application/json; charset=utf-8',
  'application/json;charset="UTF-8"',
  'application/json ; charset=utf-8',
  'APPLICATION/JSON',
  'Application/Json;;',
  'application/problem+json',
  'application/vnd.api+json; charset=utf-8',
];
const REFUSED = ['text/plain', 'text/json', 'application/jsonx', 'application/+json', 'json', 'application/json, text/plain', ';', 'application/json\u00e9', '*/*'];

const ADMIN = 'admin-token-media';
const SECRET = 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';

type Send = (path: string, body: string, headers: Record<string, string>) => Promise<Response>;

/** One JSON route: a body it accepts, the status of that success, and headers it needs. */
interface JsonRoute {
  name: string;
  path: string;
  success: number;
  /** A fresh valid request: orders and payments need a hold or an order of their own each time. */
  request(h: Harness): Promise<{ body: string; headers?: Record<string, string> }>;
}

let keys = 0;
const ROUTES: JsonRoute[] = [
  { name: 'POST /api/holds', path: '/api/holds', success: 201, request: async (h) => ({ body: JSON.stringify({ product_id: await h.product(5), qty: 1 }) }) },
  {
    name: 'POST /api/orders',
    path: '/api/orders',
    success: 201,
    request: async (h) => {
      const hold = await h.engine.createHold({ productId: await h.product(5), qty: 1 });
      return { body: JSON.stringify({ hold_id: hold.holdId, token: hold.token }) };
    },
  },
  {
    name: 'POST /api/payments/webhook (signed)',
    path: '/api/payments/webhook',
    success: 200,
    request: async (h) => {
      const hold = await h.engine.createHold({ productId: await h.product(5), qty: 1 });
      const order = await h.engine.createOrder({ holdId: hold.holdId, token: hold.token });
      const body = JSON.stringify({ order_id: order.orderId, status: 'success', txn_id: 'TXN-1' });
      return { body, headers: signWebhook(SECRET, body, { id: `msg-${++keys}` }) };
    },
  },
  { name: 'POST /api/admin/products', path: '/api/admin/products', success: 201, request: async () => ({ body: '{"name":"P","price":"1.00","stock":1}', headers: { authorization: `Bearer ${ADMIN}` } }) },
  {
    name: 'POST /api/admin/products/{id}/restock',
    path: '/api/admin/products/1/restock',
    success: 200,
    request: async () => ({ body: '{"qty":1}', headers: { authorization: `Bearer ${ADMIN}` } }),
  },
];

describe.each<[string, boolean]>([
  ['in process (app.request)', false],
  ['over a socket (serve)', true],
])('Content-Type on every JSON route, %s', (_name, overSocket) => {
  let h: Harness;
  let server: RunningServer | undefined;
  let send: Send;
  beforeAll(async () => {
    h = harness({ adminToken: ADMIN, webhookSecret: SECRET });
    await h.product(1_000);
    if (overSocket) {
      server = await serve({ engine: h.engine, port: 0, logger: pino({ level: 'silent' }), rateLimit: false, sweeper: false, adminToken: ADMIN, webhookSecret: SECRET });
      send = (path, body, headers) => fetch(`${server!.url}${path}`, { method: 'POST', headers, body });
    } else {
      send = async (path, body, headers) => h.app.request(path, { method: 'POST', headers, body });
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  describe.each(ROUTES)('$name', (route) => {
    test.each(ACCEPTED)('accepts %j', async (contentType) => {
      const { body, headers } = await route.request(h);
      const res = await send(route.path, body, { ...headers, 'content-type': contentType });
      expect(res.status, await res.clone().text()).toBe(route.success);
    });

    test.each(REFUSED)('refuses %j with 400 unsupported_media_type, changing nothing', async (contentType) => {
      const { body, headers } = await route.request(h);
      const before = await h.store.auditSnapshot();
      await expectProblem(await send(route.path, body, { ...headers, 'content-type': contentType }), 400, 'unsupported_media_type');
      expect(await h.store.auditSnapshot()).toEqual(before);
    });
  });
});

import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { INPUT_LIMITS } from '@flashsale/core';
import { serve } from '../src/index.js';
import { expectProblem, harness, type Harness } from './helpers.js';
import { BACKENDS, type OpenedStore } from './support/backends.js';
import { parseRawResponse, rawExchange } from './support/raw-socket.js';

/**
 * Text no store keeps exactly (NUL, which PostgreSQL refuses; an unpaired surrogate, which JSON
 * allows as \ud800 and which has no UTF-8 form) gets one answer on every store: 400
 * `invalid_input` naming the field, nothing changed. On PostgreSQL a NUL in a webhook's txn_id
 * used to be a 500 on every retry, so the provider could never record that payment.
 */

/** JSON bodies as raw text, so a lone surrogate arrives as the escape a client writes. */
const NUL_TXN = '"TXN\\u0000789"';
const SURROGATE_TXN = '"TXN\\ud800"';

describe.each(BACKENDS)('text a client sends, on $name', (backend) => {
  const opened: OpenedStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.destroy();
  });

  async function open(): Promise<{ h: Harness; db: OpenedStore }> {
    const db = await backend.open();
    opened.push(db);
    return { h: harness({ adminToken: 'admin-token-1234' }, {}, (s) => s, db.store), db };
  }
  const admin = { authorization: 'Bearer admin-token-1234' };

  test.skipIf(!backend.available)('a webhook whose txn_id has a NUL is 400 naming txn_id on every retry; a retry with a clean txn_id is recorded', async () => {
    const { h, db } = await open();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    const key = { 'idempotency-key': 'k1' };
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await h.post('/api/payments/webhook', `{"order_id":${order.order_id},"status":"failed","txn_id":${NUL_TXN}}`, key);
      const body = await expectProblem(refused, 400, 'invalid_input');
      expect(body.errors).toEqual([{ in: 'body', pointer: '#/txn_id', detail: expect.stringMatching(/NUL/) }]);
    }
    expect(await h.stock(id)).toBe(3);

    const retry = await h.post('/api/payments/webhook', { order_id: order.order_id, status: 'failed', txn_id: 'TXN-789' }, key);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ status: 'processed', order_status: 'failed' });
    expect(await h.stock(id)).toBe(5);
    expect(await db.rows(`SELECT status, txn_id FROM orders WHERE id = ${order.order_id}`)).toEqual([{ status: 'failed', txn_id: 'TXN-789' }]);
    const again = await h.post('/api/payments/webhook', { order_id: order.order_id, status: 'failed', txn_id: 'TXN-789' }, key);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  test.skipIf(!backend.available)('a txn_id with an unpaired surrogate is 400 naming txn_id, and uses up nothing', async () => {
    const { h, db } = await open();
    const order = await h.order(await h.product(5));
    const refused = await h.post('/api/payments/webhook', `{"order_id":${order.order_id},"status":"success","txn_id":${SURROGATE_TXN}}`, { 'idempotency-key': 'k2' });
    const body = await expectProblem(refused, 400, 'invalid_input');
    expect(body.errors).toEqual([{ in: 'body', pointer: '#/txn_id', detail: expect.stringMatching(/surrogate/) }]);
    expect(await db.rows(`SELECT count(*) AS n FROM idempotency_records WHERE scope = 'payment'`)).toEqual([{ n: backend.name === 'postgres' ? '0' : 0 }]);
  });

  test.skipIf(!backend.available)('a product name with a NUL or an unpaired surrogate is 400 naming name, and creates nothing', async () => {
    const { h, db } = await open();
    for (const name of ['"Sneaker\\u0000X"', '"\\udfff"', '"Sneaker \\ud83d"']) {
      const refused = await h.post('/api/admin/products', `{"name":${name},"price":"1.00","stock":1}`, admin);
      const body = await expectProblem(refused, 400, 'invalid_input');
      expect(body.errors).toEqual([{ in: 'body', pointer: '#/name', detail: expect.stringMatching(/NUL .* surrogate/) }]);
    }
    expect(await db.rows('SELECT id FROM products')).toEqual([]);
  });

  test.skipIf(!backend.available)('a hold token with a NUL or an unpaired surrogate is 400 naming token; the hold stays usable', async () => {
    const { h } = await open();
    const hold = await h.hold(await h.product(5));
    for (const token of ['"a\\u0000b"', '"\\ud800"']) {
      const refused = await h.post('/api/orders', `{"hold_id":${hold.hold_id},"token":${token}}`);
      const body = await expectProblem(refused, 400, 'invalid_input');
      expect(body.errors).toEqual([{ in: 'body', pointer: '#/token', detail: expect.stringMatching(/NUL/) }]);
    }
    expect((await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).status).toBe(201);
  });

  test.skipIf(!backend.available)('header text: a NUL in Idempotency-Key or webhook-id is refused by the HTTP parser (400), non-ASCII in Idempotency-Key by the key rule', async () => {
    const { h, db } = await open();
    const order = await h.order(await h.product(5));
    const server = await serve({ engine: h.engine, port: 0, logger: pino({ level: 'silent' }), rateLimit: false, sweeper: false });
    try {
      const body = `{"order_id":${order.order_id},"status":"success","txn_id":"TXN-1"}`;
      const webhook = (header: string) =>
        `POST /api/payments/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${header}\r\nConnection: close\r\n\r\n${body}`;
      const answers = [];
      for (const header of ['Idempotency-Key: k\u0000', 'Idempotency-Key: k1\r\nWebhook-Id: m\u0000', 'Idempotency-Key: caf\u00e9']) {
        const answer = parseRawResponse(await rawExchange(server.port, Buffer.from(webhook(header), 'latin1'), { halfCloseAfterMs: 2_000 }));
        answers.push([answer?.status, (JSON.parse(answer?.body ?? '{}') as { code?: string }).code]);
      }
      expect(answers).toEqual([[400, 'bad_request'], [400, 'bad_request'], [400, 'invalid_input']]);
      expect(await db.rows(`SELECT status FROM orders WHERE id = ${order.order_id}`)).toEqual([{ status: 'pending' }]);
    } finally {
      await server.close();
    }
  });

  test.skipIf(!backend.available)('/openapi.json states the rule as the pattern of every text field', async () => {
    const { h } = await open();
    const doc = (await (await h.get('/openapi.json')).json()) as { components: { schemas: Record<string, { properties: Record<string, { pattern?: string }> }> } };
    const patterns = [['PaymentWebhook', 'txn_id'], ['OrderRequest', 'token'], ['CreateProductRequest', 'name']].map(([schema, field]) => doc.components.schemas[schema!]!.properties[field!]!.pattern);
    expect(patterns).toEqual(Array(3).fill(INPUT_LIMITS.text.pattern.source));
  });

  test.skipIf(!backend.available)('text every store can keep comes back exactly: emoji, control characters, noncharacters', async () => {
    const { h } = await open();
    const name = 'Sneaker 😀 \u0007 \u202e \ufffe é';
    const created = await h.post('/api/admin/products', { name, price: '1.00', stock: 1 }, admin);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    expect(await (await h.get(`/api/products/${id}`)).json()).toMatchObject({ id, name });
  });
});

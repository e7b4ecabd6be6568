import { expect, test } from 'vitest';
import { generateWebhookSecret, signWebhook } from '../src/index.js';
import { captureLogger, harness } from './helpers.js';

test('one line per request with method, route, status and duration; never tokens, bodies, signatures or the admin token', async () => {
  const { logger, lines } = captureLogger();
  const secret = generateWebhookSecret();
  const adminToken = 'admin-token-should-never-be-logged';
  const h = harness({ logger, webhookSecret: secret, adminToken });
  const created = await h.post('/api/admin/products', { name: 'Shoe', price: '10.00', stock: 5 }, { authorization: `Bearer ${adminToken}` });
  const { id } = (await created.json()) as { id: number };
  const hold = await h.hold(id, 1);
  await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token });
  await h.post('/api/orders', { hold_id: hold.hold_id, token: 'wrong-token-also-secret' });
  const body = JSON.stringify({ order_id: 1, status: 'success', txn_id: 'TXN-SECRET' });
  const signature = signWebhook(secret, body);
  await h.app.request('/api/payments/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'key-secret', ...signature },
    body,
  });

  const requests = lines.filter((line) => line.msg === 'request');
  expect(requests.map((line) => [line.method, line.route, line.status, line.code])).toEqual([
    ['POST', '/api/admin/products', 201, undefined],
    ['POST', '/api/holds', 201, undefined],
    ['POST', '/api/orders', 201, undefined],
    ['POST', '/api/orders', 403, 'invalid_hold'],
    ['POST', '/api/payments/webhook', 200, undefined],
  ]);
  for (const line of requests) expect(line.ms).toEqual(expect.any(Number));
  const everything = JSON.stringify(lines);
  for (const secretValue of [hold.token, 'wrong-token-also-secret', adminToken, 'TXN-SECRET', 'key-secret', signature['webhook-signature'], secret]) {
    expect(everything).not.toContain(secretValue);
  }
});

test('requestLog: false keeps the hot path silent', async () => {
  const { logger, lines } = captureLogger();
  const h = harness({ logger, requestLog: false });
  const id = await h.product(5);
  await h.hold(id, 1);
  expect(lines.filter((line) => line.msg === 'request')).toEqual([]);
});

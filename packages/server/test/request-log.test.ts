import { pino } from 'pino';
import { expect, test } from 'vitest';
import { generateWebhookSecret, signWebhook } from '../src/index.js';
import { destinationLineWriter, loggerLineWriter } from '../src/observability/request-log.js';
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

test('serve() writes request lines itself, exactly as its pino logger would, child bindings included, and obeys its level', () => {
  for (const bindings of [undefined, { worker: 2 }]) {
    const viaPino: string[] = [];
    const direct: string[] = [];
    const root = pino({}, { write: (text: string) => void viaPino.push(text) });
    const logger = bindings ? root.child(bindings) : root;
    const write = destinationLineWriter(logger, { write: (text: string) => void direct.push(text) });
    const lines = [
      { method: 'POST', route: '/api/holds', status: 201, ms: 1.25, code: undefined },
      { method: 'POST', route: '/api/holds', status: 409, ms: 0.5, code: 'insufficient_stock' },
      { method: 'GET', route: 'unmatched', status: 503, ms: 12, code: 'storage_unavailable' },
    ];
    for (const line of lines) {
      const level = line.status >= 500 ? 'error' : 'info';
      loggerLineWriter(logger)(line, level);
      write(line, level);
    }
    const withoutTime = (text: string) => {
      expect(text.endsWith('\n')).toBe(true);
      const { time, ...rest } = JSON.parse(text) as Record<string, unknown>;
      expect(time).toEqual(expect.any(Number));
      return rest;
    };
    expect(direct.map(withoutTime)).toEqual(viaPino.map(withoutTime));
    if (bindings) expect(JSON.parse(direct[0]!)).toMatchObject({ pid: process.pid, worker: 2 });
    // Same key order too, so a line-oriented log reader sees no difference.
    expect(direct.map((t) => Object.keys(JSON.parse(t) as object))).toEqual(viaPino.map((t) => Object.keys(JSON.parse(t) as object)));

    logger.level = 'error';
    write(lines[0]!, 'info');
    write(lines[2]!, 'error');
    expect(direct).toHaveLength(4);
    expect(JSON.parse(direct[3]!)).toMatchObject({ level: 50, status: 503 });
  }
});

import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale } from '@flashsale/core';
import { manualClock } from '@flashsale/core/testing';
import { afterEach, expect, test } from 'vitest';
import { SignJWT } from 'jose';
import { createMetrics, generateWebhookSecret, parseBuyerKey, serve, signWebhook, type RunningServer } from '../src/index.js';
import { captureLogger, overrideStore } from './helpers.js';
import { rawExchange } from './support/raw-socket.js';

/**
 * Secrets never leave where they belong: a hold token appears only in the answer that created the
 * hold (and that answer's idempotent replay), never in a read, release or extension of it, nor
 * when sent in the Hold-Token header; the admin token, the webhook secret, signatures and
 * idempotency keys appear nowhere. Checked over a full purchase flow on the real server, with
 * every kind of failure, against everything an operator or attacker could read: the log, the
 * /metrics text and every other answer body.
 */

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

interface Answer {
  what: string;
  status: number;
  body: string;
}

test('hold tokens (in bodies and in the Hold-Token header), the admin token, the webhook secret, signatures and keys never reach logs, metrics or other answers', async () => {
  const adminToken = 'admin-TOKEN-6b1f0c2e9d';
  const secret = generateWebhookSecret();
  const { logger, lines } = captureLogger();
  const clock = manualClock(Date.now());
  const metrics = createMetrics();
  let failNextOrder = false;
  const store = openSqliteStore({ filename: ':memory:' });
  const flaky = overrideStore({
    createOrder: async (request) => {
      if (failNextOrder) {
        failNextOrder = false;
        throw new Error('disk I/O error'); // an unexpected failure: a logged 500
      }
      return store.createOrder(request);
    },
  })(store);
  const engine = createFlashSale({ store: flaky, clock, onEvent: metrics.onEvent });
  const server = await serve({ engine, metrics, logger, port: 0, adminToken, webhookSecret: secret, rateLimit: { limits: { orders: 40 } }, sweeper: false });
  running.push(server);

  const answers: Answer[] = [];
  const holdAnswers: Answer[] = [];
  const call = async (what: string, method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body }),
    });
    const answer = { what, status: res.status, body: await res.text() };
    (what.startsWith('hold') && res.status === 201 ? holdAnswers : answers).push(answer);
    return answer;
  };
  const json = (value: unknown) => JSON.stringify(value);
  const admin = { authorization: `Bearer ${adminToken}` };

  // Admin: create a product, then wrong and malformed admin calls.
  const product = JSON.parse((await call('admin create', 'POST', '/api/admin/products', json({ name: 'Shoe', price: '10.00', stock: 20 }), admin)).body) as { id: number };
  await call('admin wrong token', 'POST', '/api/admin/products', json({ name: 'X', price: '1.00', stock: 1 }), { authorization: `Bearer ${adminToken}x` });
  await call('admin basic', 'POST', `/api/admin/products/${product.id}/restock`, json({ qty: 1 }), { authorization: `Basic ${adminToken}` });
  await call('admin bad body', 'POST', '/api/admin/products', `{"name":"${adminToken}"`, admin);

  // Holds: plain, keyed, replayed.
  const holdKey = 'hold-key-3f9a';
  const tokens: string[] = [];
  for (let i = 0; i < 4; i++) tokens.push((JSON.parse((await call('hold', 'POST', '/api/holds', json({ product_id: product.id, qty: 1 }))).body) as { token: string }).token);
  const keyed = JSON.parse((await call('hold keyed', 'POST', '/api/holds', json({ product_id: product.id, qty: 1 }), { 'idempotency-key': holdKey })).body) as { hold_id: number; token: string };
  tokens.push(keyed.token);
  await call('hold replay', 'POST', '/api/holds', json({ product_id: product.id, qty: 1 }), { 'idempotency-key': holdKey });
  await call('hold key reused', 'POST', '/api/holds', json({ product_id: product.id, qty: 2 }), { 'idempotency-key': holdKey });
  await call('hold too many', 'POST', '/api/holds', json({ product_id: product.id, qty: 999 }));

  // Orders: wrong token, token of another hold, bad shapes carrying a token, a 500, success, replay, reuse.
  const holds = holdAnswers.map((a) => JSON.parse(a.body) as { hold_id: number; token: string });
  const [first, second, third, fourth] = holds;
  const wrongToken = `${first!.token.slice(0, -4)}beef`;
  await call('order wrong token', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: wrongToken }));
  await call('order token of another hold', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: second!.token }));
  await call('order unknown hold', 'POST', '/api/orders', json({ hold_id: 9999, token: first!.token }));
  await call('order token too long', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token.repeat(9) }));
  await call('order hold_id a string', 'POST', '/api/orders', json({ hold_id: String(first!.hold_id), token: first!.token }));
  await call('order extra field', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token, note: second!.token }));
  await call('order truncated', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token }).slice(0, -3));
  await call('order form-encoded', 'POST', '/api/orders', `hold_id=${first!.hold_id}&token=${first!.token}`, { 'content-type': 'application/x-www-form-urlencoded' });
  await call('order too large', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token, pad: 'x'.repeat(17_000) }));
  failNextOrder = true;
  const crashed = await call('order storage failure', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token }));
  expect(crashed.status).toBe(500);
  const orderKey = 'order-key-77c2';
  const order = JSON.parse((await call('order', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token }), { 'idempotency-key': orderKey })).body) as { order_id: number };
  await call('order replay', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token }), { 'idempotency-key': orderKey });
  await call('order hold used', 'POST', '/api/orders', json({ hold_id: first!.hold_id, token: first!.token }));
  await call('order key reused', 'POST', '/api/orders', json({ hold_id: second!.hold_id, token: second!.token }), { 'idempotency-key': orderKey });
  const other = JSON.parse((await call('order', 'POST', '/api/orders', json({ hold_id: third!.hold_id, token: third!.token }))).body) as { order_id: number };

  // Hold lifecycle: reads with the token in a header (right, wrong, another hold's, too long,
  // missing), an extension and a release with right and wrong tokens.
  const fifth = holds[4]!;
  await call('read hold', 'GET', `/api/holds/${fifth.hold_id}`, undefined, { 'hold-token': fifth.token });
  await call('read hold wrong token', 'GET', `/api/holds/${fifth.hold_id}`, undefined, { 'hold-token': wrongToken });
  await call('read hold token of another hold', 'GET', `/api/holds/${fifth.hold_id}`, undefined, { 'hold-token': second!.token });
  await call('read hold token too long', 'GET', `/api/holds/${fifth.hold_id}`, undefined, { 'hold-token': fifth.token.repeat(9) });
  await call('read hold without token', 'GET', `/api/holds/${fifth.hold_id}`);
  await call('read order', 'GET', `/api/orders/${order.order_id}`, undefined, { 'hold-token': first!.token });
  await call('read order token of another hold', 'GET', `/api/orders/${order.order_id}`, undefined, { 'hold-token': fifth.token });
  await call('read unknown order', 'GET', '/api/orders/9999', undefined, { 'hold-token': first!.token });
  await call('extend', 'POST', `/api/holds/${fifth.hold_id}/extend`, json({ token: fifth.token }));
  await call('extend wrong token', 'POST', `/api/holds/${fifth.hold_id}/extend`, json({ token: wrongToken }));
  await call('release token of another hold', 'POST', `/api/holds/${fifth.hold_id}/release`, json({ token: second!.token }));
  await call('release token too long', 'POST', `/api/holds/${fifth.hold_id}/release`, json({ token: fifth.token.repeat(9) }));
  await call('release', 'POST', `/api/holds/${fifth.hold_id}/release`, json({ token: fifth.token }));
  await call('release again', 'POST', `/api/holds/${fifth.hold_id}/release`, json({ token: fifth.token }));
  await call('extend released', 'POST', `/api/holds/${fifth.hold_id}/extend`, json({ token: fifth.token }));

  clock.advance(3 * 60_000);
  await call('order hold expired', 'POST', '/api/orders', json({ hold_id: fourth!.hold_id, token: fourth!.token }));

  // Webhooks: unsigned, wrong secret, stale, good, duplicate delivery, conflict.
  const paid = json({ order_id: order.order_id, status: 'success', txn_id: 'TXN-1' });
  const signatures: string[] = [];
  const signed = (body: string, options?: Parameters<typeof signWebhook>[2], key = secret) => {
    const headers = signWebhook(key, body, options);
    signatures.push(headers['webhook-signature']);
    return headers;
  };
  const webhookKey = 'webhook-key-0d1e';
  await call('webhook unsigned', 'POST', '/api/payments/webhook', paid, { 'idempotency-key': webhookKey });
  await call('webhook wrong secret', 'POST', '/api/payments/webhook', paid, { 'idempotency-key': webhookKey, ...signed(paid, {}, generateWebhookSecret()) });
  await call('webhook stale', 'POST', '/api/payments/webhook', paid, { 'idempotency-key': webhookKey, ...signed(paid, { timestamp: new Date(Date.now() - 10 * 60_000) }) });
  const delivery = signed(paid, { id: 'msg_secret_flow' });
  await call('webhook', 'POST', '/api/payments/webhook', paid, { 'idempotency-key': webhookKey, ...delivery });
  await call('webhook duplicate', 'POST', '/api/payments/webhook', paid, { 'idempotency-key': webhookKey, ...delivery });
  const conflict = json({ order_id: order.order_id, status: 'failed' });
  await call('webhook conflict', 'POST', '/api/payments/webhook', conflict, signed(conflict));
  const malformed = `{"order_id":${other.order_id},"status":"maybe"}`;
  await call('webhook invalid body', 'POST', '/api/payments/webhook', malformed, signed(malformed));

  // Requests the HTTP parser refuses, carrying secrets in their headers.
  await rawExchange(server.port, `POST /api/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminToken}\r\nX-Bad: a\x01b\r\n\r\n{"token":"${second!.token}"}`);
  await rawExchange(server.port, `POST /api/orders HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${orderKey}\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`);

  const metricsText = await (await fetch(`${server.url}/metrics`)).text();
  await server.close();

  const secrets: Record<string, string> = {
    'the admin token': adminToken,
    'the webhook secret': secret,
    'the webhook key bytes': secret.slice('whsec_'.length),
    'a wrong token': wrongToken,
    'the hold idempotency key': holdKey,
    'the order idempotency key': orderKey,
    'the webhook idempotency key': webhookKey,
    ...Object.fromEntries(tokens.map((token, i) => [`hold token ${i + 1}`, token])),
    ...Object.fromEntries(signatures.map((signature, i) => [`signature ${i + 1}`, signature.slice(3)])),
  };
  // The flow covered what it claims to: every kind of refusal and the 500.
  expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200, 201, 400, 401, 403, 409, 413, 422, 500]));
  // The hold lifecycle's answers are in that set: reads, an extension, releases, and their refusals.
  expect(answers.filter((a) => /^(read|extend|release)/.test(a.what)).map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 400, 400, 400, 401, 403, 403, 403, 403, 403, 403]);
  expect(lines.some((line) => line.msg === 'unexpected error')).toBe(true);
  expect(lines.filter((line) => line.msg === 'client error')).toHaveLength(2);

  const log = JSON.stringify(lines, decodeBuffers);
  for (const [name, value] of Object.entries(secrets)) {
    expect(log.includes(value), `${name} in the log`).toBe(false);
    expect(metricsText.includes(value), `${name} in /metrics`).toBe(false);
    for (const answer of answers) expect(answer.body.includes(value), `${name} in the answer to "${answer.what}" (${answer.status})`).toBe(false);
  }
  // Each hold answer carries its own token and no other.
  for (const answer of holdAnswers) {
    const own = (JSON.parse(answer.body) as { token: string }).token;
    for (const token of tokens.filter((t) => t !== own)) expect(answer.body.includes(token)).toBe(false);
  }
});

test('buyer ids and buyer tokens never reach logs, metrics or any answer', async () => {
  const buyerSecret = 'buyer-secret-0f7c2a9e-at-least-32-bytes-long';
  const { logger, lines } = captureLogger();
  const metrics = createMetrics();
  let failNextReserve = false;
  const store = openSqliteStore({ filename: ':memory:' });
  const flaky = overrideStore({
    reserveHolds: async (requests) => {
      if (failNextReserve) {
        failNextReserve = false;
        throw new Error('disk I/O error'); // a logged 500 while a buyer's hold is on its way
      }
      return store.reserveHolds(requests);
    },
  })(store);
  const named = createFlashSale({ store: flaky, onEvent: metrics.onEvent });
  const tokenEngine = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }), onEvent: metrics.onEvent });
  const byName = await serve({ engine: named, metrics, logger, port: 0, rateLimit: false, sweeper: false });
  const byToken = await serve({ engine: tokenEngine, metrics, logger, port: 0, rateLimit: false, sweeper: false, buyerToken: { key: parseBuyerKey(buyerSecret) } });
  running.push(byName, byToken);
  const answers: Answer[] = [];
  const hold = async (what: string, server: RunningServer, body: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/api/holds`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    answers.push({ what, status: res.status, body: await res.text() });
  };

  const alice = 'buyer-alice-6d41e0';
  const mallory = 'buyer-mallory-93ab2f';
  const controlled = 'buyer-\u0007-c0ntr0l';
  const tooLong = `buyer-long-${'q'.repeat(130)}`;
  const limited = (await named.createProduct({ name: 'Drop', price: '10.00', stock: 10, maxPerBuyer: 1 })).id;
  await hold('hold', byName, { product_id: limited, qty: 1, buyer_id: alice });
  await hold('hold over the limit', byName, { product_id: limited, qty: 1, buyer_id: alice });
  await hold('hold invalid buyer', byName, { product_id: limited, qty: 1, buyer_id: controlled });
  await hold('hold buyer too long', byName, { product_id: limited, qty: 1, buyer_id: tooLong });
  await hold('hold buyer with an extra field', byName, { product_id: limited, qty: 1, buyer_id: mallory, note: alice });
  failNextReserve = true;
  await hold('hold storage failure', byName, { product_id: limited, qty: 1, buyer_id: mallory });

  const sign = (sub: string, edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt) => edit(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setExpirationTime('5m')).sign(new TextEncoder().encode(buyerSecret));
  const aliceToken = await sign(alice);
  const expired = await sign(mallory, (jwt) => jwt.setExpirationTime(Math.floor(Date.now() / 1000) - 60));
  const forged = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(mallory).sign(new TextEncoder().encode('not-the-secret-but-long-enough-to-sign'));
  const drop = (await tokenEngine.createProduct({ name: 'Drop', price: '10.00', stock: 10, maxPerBuyer: 1 })).id;
  await hold('token hold', byToken, { product_id: drop, qty: 1 }, { authorization: `Bearer ${aliceToken}` });
  await hold('token hold over the limit', byToken, { product_id: drop, qty: 1 }, { authorization: `Bearer ${aliceToken}` });
  await hold('token mismatch', byToken, { product_id: drop, qty: 1, buyer_id: mallory }, { authorization: `Bearer ${aliceToken}` });
  await hold('token expired', byToken, { product_id: drop, qty: 1 }, { authorization: `Bearer ${expired}` });
  await hold('token forged', byToken, { product_id: drop, qty: 1 }, { authorization: `Bearer ${forged}` });
  await hold('token missing', byToken, { product_id: drop, qty: 1, buyer_id: alice });

  const metricsText = await (await fetch(`${byName.url}/metrics`)).text();
  await Promise.all(running.splice(0).map((s) => s.close()));
  expect(answers.map((a) => `${a.what} ${a.status}`)).toEqual([
    'hold 201',
    'hold over the limit 409',
    'hold invalid buyer 400',
    'hold buyer too long 400',
    'hold buyer with an extra field 400',
    'hold storage failure 500',
    'token hold 201',
    'token hold over the limit 409',
    'token mismatch 403',
    'token expired 401',
    'token forged 401',
    'token missing 401',
  ]);
  expect(lines.some((line) => line.msg === 'unexpected error')).toBe(true);
  const log = JSON.stringify(lines, decodeBuffers);
  const secrets = { alice, mallory, 'a buyer id with a control character': controlled, 'a buyer id too long': tooLong, "alice's token": aliceToken, 'an expired token': expired, 'a forged token': forged, 'the buyer secret': buyerSecret };
  for (const [name, value] of Object.entries(secrets)) {
    expect(log.includes(value), `${name} in the log`).toBe(false);
    expect(metricsText.includes(value), `${name} in /metrics`).toBe(false);
    for (const answer of answers) expect(answer.body.includes(value), `${name} in the answer to "${answer.what}" (${answer.status})`).toBe(false);
  }
});

/** Logged Buffers (an error's rawPacket, say) serialize as byte arrays: turn them back into text to search. */
function decodeBuffers(_key: string, value: unknown): unknown {
  const buffer = value as { type?: unknown; data?: unknown };
  if (buffer && buffer.type === 'Buffer' && Array.isArray(buffer.data)) return Buffer.from(buffer.data as number[]).toString('latin1');
  return value;
}

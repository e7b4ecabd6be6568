import { describe, expect, test } from 'vitest';
import { expectProblem, harness, stateOf } from './helpers.js';
import { envelopeCases, holdCases, JSON_CT, type Case } from './support/bad-input-cases.js';

/**
 * Every malformed request is a 4xx problem and changes nothing: no stock taken, no hold spent,
 * no order settled, no idempotency key consumed. Bodies are raw strings so that numbers past
 * 2^53 reach the server exactly as a client would send them.
 */

const orderCases: Case[] = [
  { name: 'token missing', body: '{"hold_id":1}', code: 'invalid_input', pointer: '#/token' },
  { name: 'hold_id missing', body: '{"token":"abc"}', code: 'invalid_input', pointer: '#/hold_id' },
  { name: 'token a number', body: '{"hold_id":1,"token":123}', code: 'invalid_input', pointer: '#/token' },
  { name: 'token empty', body: '{"hold_id":1,"token":""}', code: 'invalid_input', pointer: '#/token' },
  { name: 'token absurdly long', body: JSON.stringify({ hold_id: 1, token: 'a'.repeat(513) }), code: 'invalid_input', pointer: '#/token' },
  { name: 'hold_id a string', body: '{"hold_id":"1","token":"abc"}', code: 'invalid_input', pointer: '#/hold_id' },
  { name: 'hold_id negative', body: '{"hold_id":-1,"token":"abc"}', code: 'invalid_input', pointer: '#/hold_id' },
  { name: 'hold_id a float', body: '{"hold_id":1.5,"token":"abc"}', code: 'invalid_input', pointer: '#/hold_id' },
  { name: 'an unknown extra field', body: '{"hold_id":1,"token":"abc","admin":true}', code: 'invalid_input', pointer: '#' },
];

const webhookCases: Case[] = [
  { name: 'status missing', body: '{"order_id":1}', code: 'invalid_input', pointer: '#/status' },
  { name: 'status unknown', body: '{"order_id":1,"status":"paid"}', code: 'invalid_input', pointer: '#/status' },
  { name: 'order_id a string', body: '{"order_id":"1","status":"success"}', code: 'invalid_input', pointer: '#/order_id' },
  { name: 'order_id a float', body: '{"order_id":1.5,"status":"success"}', code: 'invalid_input', pointer: '#/order_id' },
  { name: 'order_id past MAX_SAFE_INTEGER', body: '{"order_id":9007199254740993,"status":"success"}', code: 'invalid_input', pointer: '#/order_id' },
  { name: 'txn_id a number', body: '{"order_id":1,"status":"success","txn_id":5}', code: 'invalid_input', pointer: '#/txn_id' },
  { name: 'txn_id empty', body: '{"order_id":1,"status":"success","txn_id":""}', code: 'invalid_input', pointer: '#/txn_id' },
  { name: 'an unknown extra field', body: '{"order_id":1,"status":"success","amount":"0.01"}', code: 'invalid_input', pointer: '#' },
];

const createProductCases: Case[] = [
  { name: 'price a float', body: '{"name":"X","price":99.99,"stock":1}', code: 'invalid_input', pointer: '#/price' },
  { name: 'price with three decimals', body: '{"name":"X","price":"9.999","stock":1}', code: 'invalid_input', pointer: '#/price' },
  { name: 'price negative', body: '{"name":"X","price":"-1.00","stock":1}', code: 'invalid_input', pointer: '#/price' },
  { name: 'stock negative', body: '{"name":"X","price":"1.00","stock":-1}', code: 'invalid_input', pointer: '#/stock' },
  { name: 'stock a float', body: '{"name":"X","price":"1.00","stock":1.5}', code: 'invalid_input', pointer: '#/stock' },
  { name: 'name empty', body: '{"name":"  ","price":"1.00","stock":1}', code: 'invalid_input', pointer: '#/name' },
  { name: 'an unknown extra field', body: '{"name":"X","price":"1.00","stock":1,"id":7}', code: 'invalid_input', pointer: '#' },
];

const restockCases: Case[] = [
  { name: 'qty zero', body: '{"qty":0}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty a string', body: '{"qty":"5"}', code: 'invalid_input', pointer: '#/qty' },
  { name: 'qty a float', body: '{"qty":2.5}', code: 'invalid_input', pointer: '#/qty' },
];

const ADMIN = 'admin-secret';
const endpoints: { path: string; cases: Case[]; headers: Record<string, string> }[] = [
  { path: '/api/holds', cases: [...envelopeCases, ...holdCases], headers: { 'idempotency-key': 'bad-input-key' } },
  { path: '/api/orders', cases: [...envelopeCases, ...orderCases], headers: { 'idempotency-key': 'bad-input-key' } },
  { path: '/api/payments/webhook', cases: [...envelopeCases, ...webhookCases], headers: { 'idempotency-key': 'bad-input-key' } },
  { path: '/api/admin/products', cases: [...envelopeCases, ...createProductCases], headers: { authorization: `Bearer ${ADMIN}` } },
  { path: '/api/admin/products/1/restock', cases: [...envelopeCases, ...restockCases], headers: { authorization: `Bearer ${ADMIN}` } },
];

describe.each(endpoints)('POST $path refuses bad input and changes nothing', ({ path, cases, headers }) => {
  test.each(cases)('$name → $code', async ({ body, contentType, status = 400, code, pointer }) => {
    const h = harness({ adminToken: ADMIN });
    const id = await h.product(10);
    const hold = await h.hold(id, 1);
    const order = await h.order(id, 2);
    const before = await stateOf(h);

    const requestHeaders: Record<string, string> = { ...headers };
    if (contentType !== null) requestHeaders['content-type'] = contentType ?? JSON_CT;
    const res = await h.app.request(path, { method: 'POST', headers: requestHeaders, ...(body === undefined ? {} : { body }) });
    const problem = await expectProblem(res, status, code);
    if (pointer) expect(problem.errors).toContainEqual(expect.objectContaining({ in: 'body', pointer }));

    expect(await stateOf(h)).toEqual(before);
    expect((await h.engine.getProduct(id)).availableStock).toBe(7);
    // The hold is still usable and the order still pending, so neither was touched.
    expect((await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).status).toBe(201);
    const paid = await h.post('/api/payments/webhook', { order_id: order.order_id, status: 'success' }, { 'idempotency-key': 'later' });
    expect(await paid.json()).toEqual({ status: 'processed', order_status: 'completed' });
    // The key the bad request carried was not consumed.
    const fresh = await h.post('/api/holds', { product_id: id, qty: 1 }, { 'idempotency-key': 'bad-input-key' });
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
  });
});

test('a body over the limit is refused by Content-Length before it is read', async () => {
  const h = harness({ maxBodyBytes: 64 });
  const id = await h.product(10);
  const body = JSON.stringify({ product_id: id, qty: 1, pad: 'x'.repeat(100) });
  const res = await h.app.request('/api/holds', {
    method: 'POST',
    headers: { 'content-type': JSON_CT, 'content-length': String(body.length) },
    body,
  });
  await expectProblem(res, 413, 'payload_too_large');
  expect(await h.stock(id)).toBe(10);
});

test('unknown paths and wrong methods are 404 problems, not plain text', async () => {
  const h = harness();
  await expectProblem(await h.get('/api/nothing-here'), 404, 'not_found');
  await expectProblem(await h.app.request('/api/holds', { method: 'GET' }), 404, 'not_found');
  await expectProblem(await h.app.request('/api/products/1', { method: 'DELETE' }), 404, 'not_found');
});

describe('a malformed Idempotency-Key is 400 invalid_input naming the format, and takes nothing', () => {
  test.each([
    ['too long (256 characters)', 'k'.repeat(256)],
    ['huge (9 KiB)', 'k'.repeat(9 * 1024)],
    ['with a space inside', 'two words'],
    ['with a control character', 'a\u0001b'],
    ['non-ASCII (latin-1)', 'caf\u00e9'],
  ])('%s', async (_name, key) => {
    const h = harness();
    const id = await h.product(10);
    for (const path of ['/api/holds', '/api/orders', '/api/payments/webhook']) {
      const body = path === '/api/holds' ? { product_id: id, qty: 1 } : path === '/api/orders' ? { hold_id: 1, token: 'x' } : { order_id: 1, status: 'success' };
      const problem = await expectProblem(await h.post(path, body, { 'idempotency-key': key }), 400, 'invalid_input');
      expect(problem.errors).toEqual([{ in: 'header', pointer: 'idempotency-key', detail: 'use 1 to 255 visible ASCII characters' }]);
    }
    expect(await h.stock(id)).toBe(10);
  });
});

import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { expectProblem, harness, stateOf, START } from './helpers.js';

/** The buyer's side of a hold over HTTP: release, extend, read a hold, read an order. */

const iso = (ms: number) => new Date(ms).toISOString();
const TTL = 120_000;

describe('POST /api/holds/{id}/release', () => {
  test('200 {hold_id, status: "released", qty}: the stock is back at once; a repeat answers the same', async () => {
    const h = harness();
    const id = await h.product(10);
    const hold = await h.hold(id, 3);
    const first = await h.post(`/api/holds/${hold.hold_id}/release`, { token: hold.token });
    expect(first.status).toBe(200);
    const body = await first.json();
    expect(body).toEqual({ hold_id: hold.hold_id, status: 'released', qty: 3 });
    expect((await (await h.get(`/api/products/${id}`)).json()) as object).toMatchObject({ available_stock: 10 });
    const again = await h.post(`/api/holds/${hold.hold_id}/release`, { token: hold.token });
    expect({ status: again.status, body: await again.json() }).toEqual({ status: 200, body });
    expect(await h.stock(id)).toBe(10);
    expect(await h.metrics.render()).toMatch(/flashsale_stock_released_units_total\{cause="released"\} 3\n/);
  });

  test('403 invalid_hold for a wrong token and for an unknown hold, with the same answer, changing nothing', async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id);
    const before = await stateOf(h);
    const wrong = await expectProblem(await h.post(`/api/holds/${hold.hold_id}/release`, { token: 'f'.repeat(64) }), 403, 'invalid_hold');
    const unknown = await expectProblem(await h.post('/api/holds/999/release', { token: hold.token }), 403, 'invalid_hold');
    expect(unknown).toEqual(wrong);
    expect(await stateOf(h)).toEqual(before);
  });

  test('400 hold_used for a converted hold, 400 hold_expired for an expired one (swept or not)', async () => {
    const h = harness();
    const id = await h.product(5);
    const used = await h.hold(id);
    await h.post('/api/orders', { hold_id: used.hold_id, token: used.token });
    await expectProblem(await h.post(`/api/holds/${used.hold_id}/release`, { token: used.token }), 400, 'hold_used');
    const hold = await h.hold(id);
    h.clock.advance(TTL);
    await expectProblem(await h.post(`/api/holds/${hold.hold_id}/release`, { token: hold.token }), 400, 'hold_expired');
    await h.engine.releaseExpired();
    await expectProblem(await h.post(`/api/holds/${hold.hold_id}/release`, { token: hold.token }), 400, 'hold_expired');
    expect(await h.stock(id)).toBe(4);
  });

  test('an order on a released hold is 400 hold_released', async () => {
    const h = harness();
    const hold = await h.hold(await h.product(5));
    await h.post(`/api/holds/${hold.hold_id}/release`, { token: hold.token });
    await expectProblem(await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token }), 400, 'hold_released');
  });
});

describe('POST /api/holds/{id}/extend', () => {
  test('200 {hold_id, expires_at}: now + the hold lifetime, capped at creation + the maximum lifetime, then 409', async () => {
    const h = harness({}, { holdMaxLifetimeMs: 300_000 });
    const hold = await h.hold(await h.product(5));
    h.clock.advance(100_000);
    const first = await h.post(`/api/holds/${hold.hold_id}/extend`, { token: hold.token });
    expect({ status: first.status, body: await first.json() }).toEqual({ status: 200, body: { hold_id: hold.hold_id, expires_at: iso(START + 100_000 + TTL) } });
    h.clock.advance(100_000);
    const capped = await h.post(`/api/holds/${hold.hold_id}/extend`, { token: hold.token });
    expect(await capped.json()).toEqual({ hold_id: hold.hold_id, expires_at: iso(START + 300_000) });
    await expectProblem(await h.post(`/api/holds/${hold.hold_id}/extend`, { token: hold.token }), 409, 'hold_extension_limit');
  });

  test('refuses as a release does: 403, 400 hold_used, hold_expired, hold_released', async () => {
    const h = harness();
    const id = await h.product(10);
    await expectProblem(await h.post('/api/holds/999/extend', { token: 'f'.repeat(64) }), 403, 'invalid_hold');
    const used = await h.hold(id);
    await h.post('/api/orders', { hold_id: used.hold_id, token: used.token });
    await expectProblem(await h.post(`/api/holds/${used.hold_id}/extend`, { token: used.token }), 400, 'hold_used');
    const released = await h.hold(id);
    await h.post(`/api/holds/${released.hold_id}/release`, { token: released.token });
    await expectProblem(await h.post(`/api/holds/${released.hold_id}/extend`, { token: released.token }), 400, 'hold_released');
    const expiring = await h.hold(id);
    h.clock.advance(TTL);
    await expectProblem(await h.post(`/api/holds/${expiring.hold_id}/extend`, { token: expiring.token }), 400, 'hold_expired');
  });
});

describe('GET /api/holds/{id}', () => {
  test('200 {hold_id, product_id, qty, status, expires_at, order_id} through its life, with Cache-Control: no-store', async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id, 2);
    const read = () => h.get(`/api/holds/${hold.hold_id}`, { 'hold-token': hold.token });
    const first = await read();
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toEqual({ hold_id: hold.hold_id, product_id: id, qty: 2, status: 'active', expires_at: iso(START + TTL), order_id: null });
    const order = (await (await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).json()) as { order_id: number };
    expect(await (await read()).json()).toMatchObject({ status: 'converted', order_id: order.order_id });
  });

  test('a hold past its expiry reads expired before any sweep', async () => {
    const h = harness();
    const hold = await h.hold(await h.product(5));
    h.clock.advance(TTL);
    expect(await (await h.get(`/api/holds/${hold.hold_id}`, { 'hold-token': hold.token })).json()).toMatchObject({ status: 'expired' });
  });

  test('401 hold_token_required without the header (or with an empty one), 403 for an unknown hold or a wrong token', async () => {
    const h = harness();
    const hold = await h.hold(await h.product(5));
    for (const headers of [{}, { 'hold-token': '' }] as Record<string, string>[]) {
      const res = await h.get(`/api/holds/${hold.hold_id}`, headers);
      await expectProblem(res, 401, 'hold_token_required');
      expect(res.headers.get('www-authenticate')).toBe('Hold-Token realm="flashsale-hold"');
    }
    const wrong = await expectProblem(await h.get(`/api/holds/${hold.hold_id}`, { 'hold-token': 'f'.repeat(64) }), 403, 'invalid_hold');
    const unknown = await expectProblem(await h.get('/api/holds/999', { 'hold-token': hold.token }), 403, 'invalid_hold');
    expect(unknown).toEqual(wrong);
  });

  test('400 for an id that is not a positive integer, and for a token no hold could have', async () => {
    const h = harness();
    for (const bad of ['0', '01', '-1', '1e3', 'abc', '9007199254740993']) {
      await expectProblem(await h.get(`/api/holds/${bad}`, { 'hold-token': 'x' }), 400, 'invalid_input');
      await expectProblem(await h.post(`/api/holds/${bad}/release`, { token: 'x' }), 400, 'invalid_input');
      await expectProblem(await h.post(`/api/holds/${bad}/extend`, { token: 'x' }), 400, 'invalid_input');
      await expectProblem(await h.get(`/api/orders/${bad}`, { 'hold-token': 'x' }), 400, 'invalid_input');
    }
    const tooLong = await expectProblem(await h.get('/api/holds/1', { 'hold-token': 'x'.repeat(513) }), 400, 'invalid_input');
    expect(tooLong.errors).toEqual([{ in: 'header', pointer: 'hold-token', detail: expect.any(String) }]);
    for (const body of [{}, { token: '' }, { token: 1 }, { token: 'x', extra: 1 }]) {
      await expectProblem(await h.post('/api/holds/1/release', body), 400, 'invalid_input');
    }
    await expectProblem(await h.post('/api/holds/1/release', 'not json'), 400, 'malformed_json');
  });
});

describe('GET /api/orders/{id}', () => {
  test("200 {order_id, hold_id, product_id, qty, status, amount, payment_deadline} with the hold's token, until the webhook lands", async () => {
    const h = harness();
    const id = await h.product(5, '19.99');
    const hold = await h.hold(id, 2);
    const order = (await (await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).json()) as { order_id: number };
    const read = async () => (await h.get(`/api/orders/${order.order_id}`, { 'hold-token': hold.token })).json();
    expect(await read()).toEqual({
      order_id: order.order_id,
      hold_id: hold.hold_id,
      product_id: id,
      qty: 2,
      status: 'pending',
      amount: '39.98',
      payment_deadline: iso(START + 900_000),
    });
    await h.post('/api/payments/webhook', { order_id: order.order_id, status: 'success' }, { 'idempotency-key': 'pay-1' });
    expect(await read()).toMatchObject({ status: 'completed' });
  });

  test("401 without the header; one 403 invalid_order for an unknown order, a wrong token and another hold's token", async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id);
    const other = await h.hold(id);
    const order = (await (await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).json()) as { order_id: number };
    await expectProblem(await h.get(`/api/orders/${order.order_id}`), 401, 'hold_token_required');
    const answers = [
      await expectProblem(await h.get('/api/orders/999', { 'hold-token': hold.token }), 403, 'invalid_order'),
      await expectProblem(await h.get(`/api/orders/${order.order_id}`, { 'hold-token': 'f'.repeat(64) }), 403, 'invalid_order'),
      await expectProblem(await h.get(`/api/orders/${order.order_id}`, { 'hold-token': other.token }), 403, 'invalid_order'),
    ];
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  });
});

describe('rate limits of the hold lifecycle', () => {
  const from = (address: string) => ({ incoming: { socket: { remoteAddress: address, remoteFamily: 'IPv4' } } as unknown as IncomingMessage });
  const request = (method: string, body?: unknown, headers: Record<string, string> = {}) => ({
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

  test('releases and extensions count with orders: one budget for the three', async () => {
    const h = harness({ rateLimit: { limits: { orders: 3 } } });
    const id = await h.product(10);
    const [a, b] = [await h.hold(id), await h.hold(id)];
    const statuses = [
      (await h.app.request('/api/orders', request('POST', { hold_id: a.hold_id, token: a.token }), from('10.0.0.9'))).status,
      (await h.app.request(`/api/holds/${b.hold_id}/extend`, request('POST', { token: b.token }), from('10.0.0.9'))).status,
      (await h.app.request(`/api/holds/${b.hold_id}/release`, request('POST', { token: b.token }), from('10.0.0.9'))).status,
    ];
    expect(statuses).toEqual([201, 200, 200]);
    const limited = await h.app.request(`/api/holds/${b.hold_id}/release`, request('POST', { token: b.token }), from('10.0.0.9'));
    await expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('ratelimit-policy')).toBe('"orders";q=3;w=60');
  });

  test('reads of a hold and of an order count with product reads', async () => {
    const h = harness({ rateLimit: { limits: { products: 3 } } });
    const id = await h.product(10);
    const hold = await h.hold(id);
    const order = (await (await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).json()) as { order_id: number };
    const token = { 'hold-token': hold.token };
    const statuses = [
      (await h.app.request(`/api/products/${id}`, request('GET'), from('10.0.0.8'))).status,
      (await h.app.request(`/api/holds/${hold.hold_id}`, request('GET', undefined, token), from('10.0.0.8'))).status,
      (await h.app.request(`/api/orders/${order.order_id}`, request('GET', undefined, token), from('10.0.0.8'))).status,
      (await h.app.request(`/api/holds/${hold.hold_id}`, request('GET', undefined, token), from('10.0.0.8'))).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

import { describe, expect, test } from 'vitest';
import { expectProblem, harness, stateOf } from './helpers.js';

describe('POST /api/orders', () => {
  test('201 {order_id, status: "pending", amount} with amount = price × qty as a decimal string', async () => {
    const h = harness();
    const id = await h.product(50, '99.99');
    const hold = await h.hold(id, 2);
    const res = await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ order_id: expect.any(Number), status: 'pending', amount: '199.98' });
    expect(await h.stock(id)).toBe(48);
  });

  test('403 invalid_hold for a wrong token and for an unknown hold, with the same answer', async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id);
    const before = await stateOf(h);
    const wrongToken = await expectProblem(await h.post('/api/orders', { hold_id: hold.hold_id, token: 'f'.repeat(64) }), 403, 'invalid_hold');
    const unknownHold = await expectProblem(await h.post('/api/orders', { hold_id: 999, token: hold.token }), 403, 'invalid_hold');
    expect(unknownHold).toEqual(wrongToken);
    expect(await stateOf(h)).toEqual(before);
    // The hold was not spent by the failed attempts.
    expect((await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).status).toBe(201);
  });

  test('400 hold_used for a second order from the same hold; one order only', async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id);
    expect((await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).status).toBe(201);
    const before = await stateOf(h);
    await expectProblem(await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token }), 400, 'hold_used');
    expect(await stateOf(h)).toEqual(before);
  });

  test('400 hold_expired once the hold lifetime has passed, even before any sweep', async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id);
    h.clock.advance(120_000);
    await expectProblem(await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token }), 400, 'hold_expired');
    // The sweep then gives the stock back, exactly once.
    await h.engine.releaseExpired();
    expect(await h.stock(id)).toBe(5);
    await expectProblem(await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token }), 400, 'hold_expired');
  });

  test('one millisecond before expiry the hold still converts', async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id);
    h.clock.advance(119_999);
    expect((await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })).status).toBe(201);
  });

  test('Idempotency-Key: a repeat returns the first order with Idempotent-Replayed; another body is 422', async () => {
    const h = harness();
    const id = await h.product(5);
    const hold = await h.hold(id);
    const other = await h.hold(id);
    const first = await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token }, { 'idempotency-key': 'order-1' });
    const again = await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token }, { 'idempotency-key': 'order-1' });
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    await expectProblem(
      await h.post('/api/orders', { hold_id: other.hold_id, token: other.token }, { 'idempotency-key': 'order-1' }),
      422,
      'idempotency_key_reuse',
    );
    expect((await h.store.auditSnapshot()).products[0]).toMatchObject({ pendingOrderQty: 1, activeHoldQty: 1 });
  });
});

import { describe, expect, test } from 'vitest';
import { expectProblem, harness, stateOf } from './helpers.js';

const pay = (orderId: number, status: 'success' | 'failed', extra: Record<string, unknown> = {}) => ({ order_id: orderId, status, ...extra });

describe('POST /api/payments/webhook', () => {
  test('200 {status: "processed", order_status: "completed"} for a success', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    const res = await h.post('/api/payments/webhook', pay(order.order_id, 'success', { txn_id: 'TXN-789' }), { 'idempotency-key': 'p-1' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'processed', order_status: 'completed' });
    expect((await h.store.auditSnapshot()).products[0]).toMatchObject({ completedOrderQty: 2, available: 3 });
  });

  test('a failed payment gives the stock back at once', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    const res = await h.post('/api/payments/webhook', pay(order.order_id, 'failed'), { 'idempotency-key': 'p-2' });
    expect(await res.json()).toEqual({ status: 'processed', order_status: 'failed' });
    expect(await h.stock(id)).toBe(5);
  });

  test('a repeat with the same key is replayed with Idempotent-Replayed and no second effect', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    const first = await h.post('/api/payments/webhook', pay(order.order_id, 'failed'), { 'idempotency-key': 'p-3' });
    const again = await h.post('/api/payments/webhook', pay(order.order_id, 'failed'), { 'idempotency-key': 'p-3' });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(await h.stock(id)).toBe(5); // released once, not twice
    await stateOf(h);
  });

  test('concurrent duplicates with one key act once', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => h.post('/api/payments/webhook', pay(order.order_id, 'failed'), { 'idempotency-key': 'p-dup' })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await h.stock(id)).toBe(5);
  });

  test('the same outcome again under a new key: 200, no second effect', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    await h.post('/api/payments/webhook', pay(order.order_id, 'success'), { 'idempotency-key': 'p-4a' });
    const res = await h.post('/api/payments/webhook', pay(order.order_id, 'success'), { 'idempotency-key': 'p-4b' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'processed', order_status: 'completed' });
    expect((await h.store.auditSnapshot()).products[0]).toMatchObject({ completedOrderQty: 2, available: 3 });
  });

  test('409 payment_conflict for the opposite outcome; nothing changes, and its replay says so again', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    await h.post('/api/payments/webhook', pay(order.order_id, 'success'), { 'idempotency-key': 'p-5a' });
    const before = await stateOf(h);
    await expectProblem(await h.post('/api/payments/webhook', pay(order.order_id, 'failed'), { 'idempotency-key': 'p-5b' }), 409, 'payment_conflict');
    const replay = await h.post('/api/payments/webhook', pay(order.order_id, 'failed'), { 'idempotency-key': 'p-5b' });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    await expectProblem(replay, 409, 'payment_conflict');
    expect(await stateOf(h)).toEqual(before);
  });

  test('422 idempotency_key_reuse for the key with another body; nothing changes', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    await h.post('/api/payments/webhook', pay(order.order_id, 'success', { txn_id: 'A' }), { 'idempotency-key': 'p-6' });
    const before = await stateOf(h);
    await expectProblem(
      await h.post('/api/payments/webhook', pay(order.order_id, 'success', { txn_id: 'B' }), { 'idempotency-key': 'p-6' }),
      422,
      'idempotency_key_reuse',
    );
    expect(await stateOf(h)).toEqual(before);
  });

  test('404 order_not_found, not remembered: the key works once the order exists', async () => {
    const h = harness();
    const id = await h.product(5);
    await expectProblem(await h.post('/api/payments/webhook', pay(1, 'success'), { 'idempotency-key': 'p-7' }), 404, 'order_not_found');
    const order = await h.order(id);
    expect(order.order_id).toBe(1);
    expect((await h.post('/api/payments/webhook', pay(1, 'success'), { 'idempotency-key': 'p-7' })).status).toBe(200);
  });

  test('400 idempotency_key_missing without the header; the order stays pending', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id, 2);
    const before = await stateOf(h);
    await expectProblem(await h.post('/api/payments/webhook', pay(order.order_id, 'success')), 400, 'idempotency_key_missing');
    await expectProblem(await h.post('/api/payments/webhook', pay(order.order_id, 'success'), { 'idempotency-key': '' }), 400, 'idempotency_key_missing');
    expect(await stateOf(h)).toEqual(before);
  });

  test('a success after the payment deadline retakes the stock (completed) or, when sold out, says refund_due', async () => {
    const h = harness({}, { paymentTtlMs: 60_000 });
    const id = await h.product(2);
    const late = await h.order(id, 1);
    const unlucky = await h.order(id, 1);
    h.clock.advance(60_000);
    await h.engine.releaseExpired();
    expect(await h.stock(id)).toBe(2);
    const retaken = await h.post('/api/payments/webhook', pay(late.order_id, 'success'), { 'idempotency-key': 'late-1' });
    expect(await retaken.json()).toEqual({ status: 'processed', order_status: 'completed' });
    await h.hold(id, 1); // the last unit goes to someone else
    const refund = await h.post('/api/payments/webhook', pay(unlucky.order_id, 'success'), { 'idempotency-key': 'late-2' });
    expect(refund.status).toBe(200);
    expect(await refund.json()).toEqual({ status: 'processed', order_status: 'refund_due' });
    await stateOf(h);
  });
});

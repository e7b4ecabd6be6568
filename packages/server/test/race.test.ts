import { expect, test } from 'vitest';
import { harness } from './helpers.js';

test('200 parallel holds for a stock of 50: exactly 50 × 201 and 150 × 409, stock 0, audit clean', async () => {
  const h = harness();
  const id = await h.product(50);
  const answers = await Promise.all(
    Array.from({ length: 200 }, () =>
      h.app.request('/api/holds', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product_id: id, qty: 1 }),
      }),
    ),
  );
  const statuses = answers.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(50);
  expect(statuses.filter((s) => s === 409)).toHaveLength(150);
  const holds = await Promise.all(answers.filter((r) => r.status === 201).map((r) => r.json() as Promise<{ hold_id: number; token: string }>));
  expect(new Set(holds.map((hold) => hold.hold_id)).size).toBe(50);
  expect(new Set(holds.map((hold) => hold.token)).size).toBe(50);
  expect(await h.stock(id)).toBe(0);
  const report = await h.engine.verify();
  expect(report).toMatchObject({ ok: true, violations: [] });
  expect((await h.store.auditSnapshot()).products[0]).toMatchObject({ available: 0, activeHoldQty: 50 });
});

test('parallel orders on one hold: exactly one 201, the rest 400 hold_used', async () => {
  const h = harness();
  const id = await h.product(5);
  const hold = await h.hold(id, 2);
  const answers = await Promise.all(
    Array.from({ length: 30 }, () => h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token })),
  );
  const statuses = answers.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 400)).toHaveLength(29);
  expect((await h.store.auditSnapshot()).products[0]).toMatchObject({ pendingOrderQty: 2, activeHoldQty: 0, available: 3 });
  expect((await h.engine.verify()).ok).toBe(true);
});

test('parallel opposite outcomes for one order: one wins, the other is 409, stock counted once', async () => {
  const h = harness();
  const id = await h.product(5);
  const order = await h.order(id, 2);
  const [success, failure] = await Promise.all([
    h.post('/api/payments/webhook', { order_id: order.order_id, status: 'success' }, { 'idempotency-key': 'a' }),
    h.post('/api/payments/webhook', { order_id: order.order_id, status: 'failed' }, { 'idempotency-key': 'b' }),
  ]);
  expect([success!.status, failure!.status].sort()).toEqual([200, 409]);
  expect((await h.engine.verify()).ok).toBe(true);
});

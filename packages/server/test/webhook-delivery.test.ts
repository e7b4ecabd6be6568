import { describe, expect, test } from 'vitest';
import { generateWebhookSecret, signWebhook } from '../src/index.js';
import { expectProblem, harness, stateOf } from './helpers.js';

/**
 * Standard Webhooks deliveries: the webhook-id names a delivery and stays the same on every retry,
 * so a webhook-id seen before is the same delivery, answered once. The signature's 5-minute
 * tolerance refuses a captured delivery replayed later (or dated in the future).
 */

const SECRET = generateWebhookSecret();
const MINUTE = 60_000;

async function setup() {
  const h = harness({ webhookSecret: SECRET });
  const productId = await h.product(5);
  const order = await h.order(productId, 2);
  const deliver = (body: string, signature: Record<string, string>, extra: Record<string, string> = {}) =>
    h.app.request('/api/payments/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signature, ...extra },
      body,
    });
  return { h, productId, order, deliver };
}

describe('duplicate webhook-ids are one delivery', () => {
  test('the same delivery twice: one effect, the second answered as a replay with the first answer', async () => {
    const { h, productId, order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'failed' });
    const signature = signWebhook(SECRET, body, { id: 'msg_dup_1' });
    const first = await deliver(body, signature);
    const after = await stateOf(h);
    const again = await deliver(body, signature);
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(await first.json());
    expect(await h.stock(productId)).toBe(5); // the failed payment returned 2 units, once
    expect(await stateOf(h)).toEqual(after);
  });

  test('a retry re-signed with a new timestamp but the same webhook-id is the same delivery', async () => {
    const { h, productId, order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'failed' });
    await deliver(body, signWebhook(SECRET, body, { id: 'msg_retry', timestamp: new Date(Date.now() - 2 * MINUTE) }));
    const retry = await deliver(body, signWebhook(SECRET, body, { id: 'msg_retry' }));
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await h.stock(productId)).toBe(5);
  });

  test('20 copies of one delivery in parallel: one effect, every other copy a replay', async () => {
    const { h, productId, order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'failed', txn_id: 'TXN-PAR' });
    const signature = signWebhook(SECRET, body, { id: 'msg_parallel' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => deliver(body, signature)));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    for (const res of answers) expect(await res.json()).toEqual({ status: 'processed', order_status: 'failed' });
    expect(await h.stock(productId)).toBe(5);
    const { products } = await stateOf(h);
    expect(products[0]).toMatchObject({ available: 5, pendingOrderQty: 0, completedOrderQty: 0 });
  });

  test('the Idempotency-Key header does not split one delivery: changed on a replay, still a replay', async () => {
    // The header is not signed: whoever replays a captured delivery can change it at will.
    const { h, productId, order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'failed' });
    const signature = signWebhook(SECRET, body, { id: 'msg_keyed' });
    const answers = await Promise.all(
      ['key-a', 'key-b', 'key-c', '', 'not ascii \u00e9'].map((key) => deliver(body, signature, { 'idempotency-key': key })),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await h.stock(productId)).toBe(5);
  });

  test('one webhook-id signed over another body is 422 idempotency_key_reuse, and changes nothing', async () => {
    const { h, order, deliver } = await setup();
    const success = JSON.stringify({ order_id: order.order_id, status: 'success', txn_id: 'A' });
    const other = JSON.stringify({ order_id: order.order_id, status: 'success', txn_id: 'B' });
    expect((await deliver(success, signWebhook(SECRET, success, { id: 'msg_reused' }))).status).toBe(200);
    const before = await stateOf(h);
    await expectProblem(await deliver(other, signWebhook(SECRET, other, { id: 'msg_reused' })), 422, 'idempotency_key_reuse');
    expect(await stateOf(h)).toEqual(before);
  });

  test('different webhook-ids are different deliveries; the order state machine still acts once', async () => {
    const { h, productId, order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'failed' });
    const first = await deliver(body, signWebhook(SECRET, body, { id: 'msg_one' }));
    const second = await deliver(body, signWebhook(SECRET, body, { id: 'msg_two' }));
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await second.json()).toEqual({ status: 'processed', order_status: 'failed' });
    expect(await h.stock(productId)).toBe(5);
  });

  test('a webhook-id of any length or alphabet works as a key', async () => {
    const { order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'success' });
    for (const id of ['x'.repeat(2_000), 'msg with spaces', 'msg_\u00e9\u00e8']) {
      const res = await deliver(body, signWebhook(SECRET, body, { id }));
      expect(res.status).toBe(200);
    }
  });

  test('unsigned (no secret configured), the Idempotency-Key is the key and a webhook-id is ignored', async () => {
    const h = harness();
    const productId = await h.product(5);
    const order = await h.order(productId, 2);
    const send = (key: string) =>
      h.post('/api/payments/webhook', { order_id: order.order_id, status: 'failed' }, { 'idempotency-key': key, 'webhook-id': 'msg_same' });
    const [a, b] = [await send('k-1'), await send('k-2')];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.headers.get('idempotent-replayed')).toBeNull(); // a new key: not a replay (and no second effect)
    expect(await h.stock(productId)).toBe(5);
    await expectProblem(
      await h.post('/api/payments/webhook', { order_id: order.order_id, status: 'failed' }, { 'webhook-id': 'msg_same' }),
      400,
      'idempotency_key_missing',
    );
  });
});

describe('replays outside the 5-minute tolerance are refused', () => {
  test.each([
    ['captured 6 minutes ago', -6 * MINUTE],
    ['captured an hour ago', -60 * MINUTE],
    ['dated 6 minutes in the future', 6 * MINUTE],
    ['dated a day in the future', 24 * 60 * MINUTE],
  ])('a delivery %s: 401 invalid_signature, nothing changes, the id stays unused', async (_name, offset) => {
    const { h, productId, order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'failed' });
    const before = await stateOf(h);
    const stale = await deliver(body, signWebhook(SECRET, body, { id: 'msg_stale', timestamp: new Date(Date.now() + offset) }));
    const problem = await expectProblem(stale, 401, 'invalid_signature');
    expect(problem.detail).toMatch(/tolerance/);
    expect(await stateOf(h)).toEqual(before);
    expect(await h.stock(productId)).toBe(3);
    // The refused copy did not use up the delivery: a fresh signature of it is processed, not replayed.
    const fresh = await deliver(body, signWebhook(SECRET, body, { id: 'msg_stale' }));
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
  });

  test('within the tolerance (4 minutes old) a captured delivery is accepted, and a replay of it acts once', async () => {
    const { h, productId, order, deliver } = await setup();
    const body = JSON.stringify({ order_id: order.order_id, status: 'failed' });
    const signature = signWebhook(SECRET, body, { id: 'msg_recent', timestamp: new Date(Date.now() - 4 * MINUTE) });
    const [first, replay] = [await deliver(body, signature), await deliver(body, signature)];
    expect([first.status, replay.status]).toEqual([200, 200]);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await h.stock(productId)).toBe(5);
  });
});

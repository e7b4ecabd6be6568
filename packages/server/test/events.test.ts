import { describe, expect, test } from 'vitest';
import { expectProblem, harness, START } from './helpers.js';

const TOKEN = 'correct-horse-battery-staple';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('GET /api/admin/events', () => {
  test('answers the events after a position, in the wire format, with the next position to read from', async () => {
    const h = harness({ adminToken: TOKEN });
    const productId = await h.product(5, '12.50');
    const hold = await h.hold(productId, 2);
    const created = await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token });
    const order = { ...((await created.json()) as { order_id: number }), hold_id: hold.hold_id };
    const paid = await h.post('/api/payments/webhook', { order_id: order.order_id, status: 'success' }, { 'idempotency-key': 'pay-1' });
    expect(paid.status).toBe(200);

    const res = await h.get('/api/admin/events', auth);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { events: { id: string; type: string; created_at: string; position: number; data: Record<string, unknown> }[]; next_after: number };
    const data = { order_id: order.order_id, hold_id: order.hold_id, product_id: productId, qty: 2, amount: '25.00' };
    expect(page.events.map(({ type, created_at, data }) => ({ type, created_at, data }))).toEqual([
      { type: 'order.created', created_at: new Date(START).toISOString(), data: { ...data, status: 'pending' } },
      { type: 'order.completed', created_at: new Date(START).toISOString(), data: { ...data, status: 'completed' } },
    ]);
    expect(page.next_after).toBe(page.events[1]!.position);
    expect(JSON.stringify(page)).not.toContain(hold.token);

    const next = (await (await h.get(`/api/admin/events?after=${page.events[0]!.position}&limit=1`, auth)).json()) as typeof page;
    expect(next.events.map((e) => e.id)).toEqual([page.events[1]!.id]);
    const none = (await (await h.get(`/api/admin/events?after=${page.next_after}`, auth)).json()) as typeof page;
    expect(none).toEqual({ events: [], next_after: page.next_after });
  });

  test.each(['after=-1', 'after=1.5', 'after=abc', 'after=', 'limit=0', 'limit=1001', 'limit=ten', 'after=99999999999999999'])('400 invalid_input for %s', async (query) => {
    const h = harness({ adminToken: TOKEN });
    await expectProblem(await h.get(`/api/admin/events?${query}`, auth), 400, 'invalid_input');
  });

  test('401 without the admin token, 404 when no admin token is configured', async () => {
    await expectProblem(await harness({ adminToken: TOKEN }).get('/api/admin/events'), 401, 'unauthorized');
    await expectProblem(await harness().get('/api/admin/events', auth), 404, 'not_found');
  });

  test('is in /openapi.json when the admin API is on', async () => {
    const doc = (await (await harness({ adminToken: TOKEN }).get('/openapi.json')).json()) as { paths: Record<string, { get?: { operationId: string } }> };
    expect(doc.paths['/api/admin/events']?.get?.operationId).toBe('readEvents');
  });
});

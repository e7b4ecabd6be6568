import { describe, expect, test } from 'vitest';
import { expectProblem, harness, START, stateOf } from './helpers.js';

describe('POST /api/holds', () => {
  // The hot path validates in its handler: a validator middleware on the route (zod-openapi adds
  // one per request part it is given) would make the Node adapter build a web Headers and body.
  test('runs its guards and its handler only, no validator middleware', () => {
    const handlersOf = (h: ReturnType<typeof harness>) => h.app.routes.filter((r) => r.method === 'POST' && r.path === '/api/holds').length;
    expect(handlersOf(harness({ metrics: false }))).toBe(1);
    expect(handlersOf(harness({ metrics: false, rateLimit: {} }))).toBe(2);
  });

  test('201 with hold_id, token, expires_at (ISO-8601 UTC, 2 minutes on), product_id and qty', async () => {
    const h = harness();
    const id = await h.product(50);
    const res = await h.post('/api/holds', { product_id: id, qty: 2 });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      hold_id: expect.any(Number),
      token: expect.stringMatching(/^[0-9a-f]{64}$/),
      expires_at: new Date(START + 120_000).toISOString(),
      product_id: id,
      qty: 2,
    });
    expect(body.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    expect(await h.stock(id)).toBe(48);
  });

  test('the hold lifetime follows the engine setting', async () => {
    const h = harness({}, { holdTtlMs: 30_000 });
    const id = await h.product(5);
    const res = await h.post('/api/holds', { product_id: id, qty: 1 });
    expect(await res.json()).toMatchObject({ expires_at: new Date(START + 30_000).toISOString() });
  });

  test('404 product_not_found, no stock taken anywhere', async () => {
    const h = harness();
    const id = await h.product(5);
    const before = await stateOf(h);
    await expectProblem(await h.post('/api/holds', { product_id: 999, qty: 1 }), 404, 'product_not_found');
    expect(await stateOf(h)).toEqual(before);
    expect(await h.stock(id)).toBe(5);
  });

  test('409 insufficient_stock when qty is within the maximum but above the stock', async () => {
    const h = harness();
    const id = await h.product(3);
    await expectProblem(await h.post('/api/holds', { product_id: id, qty: 4 }), 409, 'insufficient_stock');
    expect(await h.stock(id)).toBe(3);
    expect((await h.post('/api/holds', { product_id: id, qty: 3 })).status).toBe(201);
    await expectProblem(await h.post('/api/holds', { product_id: id, qty: 1 }), 409, 'insufficient_stock');
  });

  test('400 for qty above the configured maximum (an anti-scalping cap), 409 just below it', async () => {
    const h = harness({}, { maxHoldQty: 2 });
    const id = await h.product(1);
    const body = await expectProblem(await h.post('/api/holds', { product_id: id, qty: 3 }), 400, 'invalid_input');
    expect(body.errors).toEqual([{ in: 'body', pointer: '#/qty', detail: 'must be a positive integer, at most 2' }]);
    await expectProblem(await h.post('/api/holds', { product_id: id, qty: 2 }), 409, 'insufficient_stock');
  });

  test('the default maximum is 1,000,000: above is 400, at it is 409 (not enough stock)', async () => {
    const h = harness();
    const id = await h.product(1);
    await expectProblem(await h.post('/api/holds', { product_id: id, qty: 1_000_001 }), 400, 'invalid_input');
    await expectProblem(await h.post('/api/holds', { product_id: id, qty: 1_000_000 }), 409, 'insufficient_stock');
  });

  describe('Idempotency-Key', () => {
    test('a repeat returns the first answer (same hold and token) with Idempotent-Replayed, taking stock once', async () => {
      const h = harness();
      const id = await h.product(10);
      const first = await h.post('/api/holds', { product_id: id, qty: 2 }, { 'idempotency-key': 'hold-1' });
      const again = await h.post('/api/holds', { product_id: id, qty: 2 }, { 'idempotency-key': 'hold-1' });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual(await first.json());
      expect(await h.stock(id)).toBe(8);
    });

    test('the replayed token still turns the hold into an order', async () => {
      const h = harness();
      const id = await h.product(10);
      await h.post('/api/holds', { product_id: id, qty: 1 }, { 'idempotency-key': 'hold-2' });
      const replay = (await (await h.post('/api/holds', { product_id: id, qty: 1 }, { 'idempotency-key': 'hold-2' })).json()) as {
        hold_id: number;
        token: string;
      };
      expect((await h.post('/api/orders', { hold_id: replay.hold_id, token: replay.token })).status).toBe(201);
    });

    test('422 idempotency_key_reuse when the key comes back with another body; nothing changes', async () => {
      const h = harness();
      const id = await h.product(10);
      await h.post('/api/holds', { product_id: id, qty: 1 }, { 'idempotency-key': 'hold-3' });
      const before = await stateOf(h);
      await expectProblem(await h.post('/api/holds', { product_id: id, qty: 2 }, { 'idempotency-key': 'hold-3' }), 422, 'idempotency_key_reuse');
      expect(await stateOf(h)).toEqual(before);
    });

    test('400 for a malformed key (too long, or with a space), before any stock is taken', async () => {
      const h = harness();
      const id = await h.product(10);
      for (const key of ['k'.repeat(256), 'has space']) {
        const res = await h.post('/api/holds', { product_id: id, qty: 1 }, { 'idempotency-key': key });
        const body = await expectProblem(res, 400, 'invalid_input');
        expect(body.errors).toMatchObject([{ in: 'header', pointer: 'idempotency-key' }]);
      }
      expect(await h.stock(id)).toBe(10);
    });
  });
});

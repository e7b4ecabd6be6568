import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale } from '@flashsale/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { serve, type RunningServer } from '../src/index.js';
import { expectProblem, harness, START, stateOf, type Harness } from './helpers.js';

/** Drops over HTTP: the window and the limit on products, holds and the admin API. */

const ADMIN = { authorization: 'Bearer drops-admin-token' };
const iso = (ms: number) => new Date(ms).toISOString();

function admin() {
  return harness({ adminToken: 'drops-admin-token' });
}

async function dropProduct(h: Harness, fields: Record<string, unknown>): Promise<Record<string, unknown> & { id: number }> {
  const res = await h.post('/api/admin/products', { name: 'Drop', price: '25.00', stock: 10, ...fields }, ADMIN);
  expect(res.status).toBe(201);
  return (await res.json()) as Record<string, unknown> & { id: number };
}

const patch = (h: Harness, id: number | string, body: unknown, headers = ADMIN) =>
  Promise.resolve(h.app.request(`/api/admin/products/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }));

describe('the sale window over HTTP', () => {
  test('GET shows the seed fields, the window in ISO-8601 UTC, the limit, and a sale_status that follows the clock', async () => {
    const h = admin();
    const product = await dropProduct(h, { sale_starts_at: '2026-01-01T13:00:00+01:00', sale_ends_at: iso(START + 60_000), max_per_buyer: 2 });
    const expected = { id: product.id, name: 'Drop', price: '25.00', available_stock: 10, sale_starts_at: iso(START), sale_ends_at: iso(START + 60_000), max_per_buyer: 2 };
    expect(product).toEqual({ ...expected, sale_status: 'live' });
    h.clock.advance(-1);
    expect(await (await h.get(`/api/products/${product.id}`)).json()).toEqual({ ...expected, sale_status: 'scheduled' });
    h.clock.advance(60_001);
    expect(await (await h.get(`/api/products/${product.id}`)).json()).toEqual({ ...expected, sale_status: 'ended' });
  });

  test('409 sale_not_started with Retry-After in whole seconds rounded up (at least 1) and sale_starts_at, then 201 at the start instant', async () => {
    const h = admin();
    const { id } = await dropProduct(h, { sale_starts_at: iso(START + 2_300) });
    const before = await stateOf(h);
    let res = await h.post('/api/holds', { product_id: id, qty: 1 });
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await expectProblem(res, 409, 'sale_not_started')).toMatchObject({ sale_starts_at: iso(START + 2_300), detail: expect.stringContaining(iso(START + 2_300)) });
    h.clock.advance(1_100);
    res = await h.post('/api/holds', { product_id: id, qty: 1 });
    expect(res.headers.get('retry-after')).toBe('2');
    h.clock.advance(1_199);
    res = await h.post('/api/holds', { product_id: id, qty: 1 });
    expect(res.headers.get('retry-after')).toBe('1');
    await expectProblem(res, 409, 'sale_not_started');
    expect(await stateOf(h)).toEqual(before);
    h.clock.advance(1);
    expect((await h.post('/api/holds', { product_id: id, qty: 1 })).status).toBe(201);
  });

  test('409 sale_ended from the end instant on, without Retry-After, taking nothing', async () => {
    const h = admin();
    const { id } = await dropProduct(h, { sale_ends_at: iso(START + 1_000) });
    h.clock.advance(1_000);
    const before = await stateOf(h);
    const res = await h.post('/api/holds', { product_id: id, qty: 1 });
    expect(res.headers.get('retry-after')).toBeNull();
    await expectProblem(res, 409, 'sale_ended');
    expect(await stateOf(h)).toEqual(before);
  });
});

describe('the per-buyer limit over HTTP', () => {
  test('400 buyer_required for a limited product without buyer_id; 409 buyer_limit_exceeded with the limit and what remains', async () => {
    const h = admin();
    const { id } = await dropProduct(h, { max_per_buyer: 3 });
    const required = await expectProblem(await h.post('/api/holds', { product_id: id, qty: 1 }), 400, 'buyer_required');
    expect(required.detail).toContain('buyer_id');
    expect((await h.post('/api/holds', { product_id: id, qty: 2, buyer_id: 'customer-1' })).status).toBe(201);
    const refused = await expectProblem(await h.post('/api/holds', { product_id: id, qty: 2, buyer_id: 'customer-1' }), 409, 'buyer_limit_exceeded');
    expect(refused).toMatchObject({ limit: 3, remaining: 1 });
    expect(JSON.stringify(refused)).not.toContain('customer-1');
    expect((await h.post('/api/holds', { product_id: id, qty: 3, buyer_id: 'customer-2' })).status).toBe(201);
    expect(await h.stock(id)).toBe(5);
  });

  test.each([
    ['empty', ''],
    ['too long', 'x'.repeat(129)],
    ['a control character', 'ann\u0000'],
    ['a C1 control character', 'ann\u0085'],
    ['an unpaired surrogate', 'ann\ud800'],
    ['a number', 42],
  ])('400 invalid_input naming buyer_id when it is %s', async (_name, buyer) => {
    const h = admin();
    const { id } = await dropProduct(h, { max_per_buyer: 3 });
    const body = await expectProblem(await h.post('/api/holds', { product_id: id, qty: 1, buyer_id: buyer }), 400, 'invalid_input');
    expect(body.errors).toEqual([expect.objectContaining({ in: 'body', pointer: '#/buyer_id' })]);
  });

  test('200 parallel one-unit holds of one buyer at a limit of 2 get exactly two 201s, through a real server on a SQLite file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashsale-drops-'));
    const engine = createFlashSale({ store: openSqliteStore({ filename: join(dir, 'drops.db') }) });
    servers.push(await serve({ engine, port: 0, logger: false, rateLimit: false, sweeper: false }));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const { id } = await engine.createProduct({ name: 'Drop', price: '25.00', stock: 100, maxPerBuyer: 2 });
    const answers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await fetch(`${servers[0]!.url}/api/holds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ product_id: id, qty: 1, buyer_id: 'scalper' }) });
        return { status: res.status, code: ((await res.json()) as { code?: string }).code };
      }),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    expect(answers.filter((a) => a.status === 409 && a.code === 'buyer_limit_exceeded')).toHaveLength(198);
    expect((await engine.getProduct(id)).availableStock).toBe(98);
    expect((await engine.verify()).ok).toBe(true);
  });
});

const servers: RunningServer[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

describe('the admin API for drops', () => {
  test('POST accepts the window and the limit, null for none; refuses an end not after the start, and bad instants', async () => {
    const h = admin();
    expect(await dropProduct(h, { sale_starts_at: null, sale_ends_at: null, max_per_buyer: null })).toMatchObject({ sale_starts_at: null, sale_ends_at: null, max_per_buyer: null });
    const before = await stateOf(h);
    await expectProblem(await h.post('/api/admin/products', { name: 'X', price: '1.00', stock: 1, sale_starts_at: iso(START), sale_ends_at: iso(START) }, ADMIN), 400, 'invalid_sale_window');
    for (const bad of [{ sale_starts_at: '2030-01-01' }, { sale_starts_at: '2030-02-30T00:00:00Z' }, { sale_ends_at: '1969-12-31T23:59:59Z' }, { sale_starts_at: 1_700_000_000_000 }, { max_per_buyer: 0 }, { max_per_buyer: 2.5 }]) {
      const body = await expectProblem(await h.post('/api/admin/products', { name: 'X', price: '1.00', stock: 1, ...bad }, ADMIN), 400, 'invalid_input');
      expect(body.errors).toEqual([expect.objectContaining({ pointer: `#/${Object.keys(bad)[0]}` })]);
    }
    expect(await stateOf(h)).toEqual(before);
  });

  test('PATCH changes any subset, null clears, and the rest stays as stored', async () => {
    const h = admin();
    const { id } = await dropProduct(h, { sale_starts_at: iso(START + 1_000), max_per_buyer: 2 });
    let res = await patch(h, id, { name: 'Renamed', price: '30.00' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: 'Renamed', price: '30.00', sale_starts_at: iso(START + 1_000), max_per_buyer: 2, sale_status: 'scheduled' });
    res = await patch(h, id, { sale_starts_at: null, sale_ends_at: iso(START + 5_000), max_per_buyer: null });
    expect(await res.json()).toMatchObject({ name: 'Renamed', sale_starts_at: null, sale_ends_at: iso(START + 5_000), max_per_buyer: null, sale_status: 'live', available_stock: 10 });
    expect(await (await h.get(`/api/products/${id}`)).json()).toMatchObject({ name: 'Renamed', sale_ends_at: iso(START + 5_000) });
    // The change is seen by the very next hold.
    expect((await h.post('/api/holds', { product_id: id, qty: 1 })).status).toBe(201);
  });

  test('PATCH refuses a window that would end before it starts once merged with the stored values, and changes nothing', async () => {
    const h = admin();
    const { id } = await dropProduct(h, { sale_starts_at: iso(START + 1_000), sale_ends_at: iso(START + 2_000) });
    const before = await stateOf(h);
    const body = await expectProblem(await patch(h, id, { sale_starts_at: iso(START + 3_000), name: 'Never' }), 400, 'invalid_sale_window');
    expect(body.detail).toContain('sale_ends_at');
    await expectProblem(await patch(h, id, { sale_ends_at: iso(START + 1_000) }), 400, 'invalid_sale_window');
    expect(await stateOf(h)).toEqual(before);
  });

  test('PATCH: 400 with nothing to change or an unknown field, 404 for an unknown product, 401 without the token', async () => {
    const h = admin();
    const { id } = await dropProduct(h, {});
    await expectProblem(await patch(h, id, {}), 400, 'invalid_input');
    await expectProblem(await patch(h, id, { stock: 5 }), 400, 'invalid_input');
    await expectProblem(await patch(h, 999, { name: 'x' }), 404, 'product_not_found');
    await expectProblem(await patch(h, id, { name: 'x' }, { authorization: 'Bearer wrong' }), 401, 'unauthorized');
  });
});

describe('/openapi.json for drops', () => {
  test('documents the product fields, buyer_id, the PATCH body and the Retry-After of a 409', async () => {
    const h = admin();
    type Schema = { properties?: Record<string, { format?: string; pattern?: string; type?: unknown }>; required?: string[] };
    const doc = (await (await h.get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown> }>; description?: string }>>;
      components: { schemas: Record<string, Schema> };
    };
    const product = doc.components.schemas.Product!;
    expect(Object.keys(product.properties!)).toEqual(['id', 'name', 'price', 'available_stock', 'sale_starts_at', 'sale_ends_at', 'max_per_buyer', 'sale_status']);
    expect(product.properties!.sale_starts_at).toMatchObject({ format: 'date-time' });
    expect(Object.keys(doc.components.schemas.HoldRequest!.properties!)).toEqual(['product_id', 'qty', 'buyer_id']);
    expect(Object.keys(doc.components.schemas.UpdateProductRequest!.properties!).sort()).toEqual(['max_per_buyer', 'name', 'price', 'sale_ends_at', 'sale_starts_at']);
    const holds = doc.paths['/api/holds']!.post!;
    expect(holds.responses['409']!.headers).toHaveProperty('Retry-After');
    expect(holds.description).toContain('product_not_found; sale_not_started / sale_ended; buyer_required; buyer_limit_exceeded; insufficient_stock');
    expect(doc.paths['/api/admin/products/{id}']).toHaveProperty('patch');
  });
});

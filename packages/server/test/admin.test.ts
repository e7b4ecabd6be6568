import { INPUT_LIMITS, ORDER_STATUSES } from '@flashsale/core';
import { describe, expect, test } from 'vitest';
import { expectProblem, harness, stateOf } from './helpers.js';

const TOKEN = 'correct-horse-battery-staple';
const create = { name: 'Limited Edition Product', price: '99.99', stock: 50 };

describe('admin API', () => {
  test('404 when no admin token is configured, whatever the request carries', async () => {
    const h = harness();
    await expectProblem(await h.post('/api/admin/products', create, { authorization: `Bearer ${TOKEN}` }), 404, 'not_found');
    await expectProblem(await h.post('/api/admin/products/1/restock', { qty: 1 }), 404, 'not_found');
    expect((await h.store.auditSnapshot()).products).toEqual([]);
  });

  const refusals: [string, string | undefined][] = [
    ['no Authorization header', undefined],
    ['an empty Authorization header', ''],
    ['Bearer without a token', 'Bearer'],
    ['Bearer and spaces without a token', 'Bearer   '],
    ['a wrong token', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 5)}`],
    ['the token in the wrong case', `Bearer ${TOKEN.toUpperCase()}`],
    ['the token followed by another word', `Bearer ${TOKEN} extra`],
    ['the scheme twice', `Bearer Bearer ${TOKEN}`],
    ['Basic auth', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`],
    ['Basic auth with the bare token', `Basic ${TOKEN}`],
    ['another scheme', `Token ${TOKEN}`],
    ['the bare token without the scheme', TOKEN],
    ['the scheme glued to the token', `Bearer${TOKEN}`],
  ];

  test.each(refusals)('401 unauthorized with %s; nothing created or restocked', async (_name, authorization) => {
    const h = harness({ adminToken: TOKEN });
    const id = await h.product(3);
    const before = await stateOf(h);
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    for (const [path, body] of [['/api/admin/products', create], [`/api/admin/products/${id}/restock`, { qty: 5 }]] as const) {
      const res = await h.post(path, body, headers);
      const problem = await expectProblem(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(JSON.stringify(problem)).not.toContain(TOKEN);
    }
    expect(await stateOf(h)).toEqual(before);
  });

  test('the scheme name is case-insensitive (RFC 7235), the token is not', async () => {
    const h = harness({ adminToken: TOKEN });
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await h.post('/api/admin/products', create, { authorization: `${scheme} ${TOKEN}` })).status).toBe(201);
    }
  });

  test.each([['a space', 'two words'], ['non-ASCII', 'pässwörd'], ['a control character', 'a\u0001b']])(
    'an admin token with %s is refused at start-up: no client could ever send it',
    (_name, token) => {
      expect(() => harness({ adminToken: token })).toThrow(/visible ASCII/);
    },
  );

  test('auth is checked before the body: a bad body without a token is 401, not 400', async () => {
    const h = harness({ adminToken: TOKEN });
    await expectProblem(await h.post('/api/admin/products', '{oops'), 401, 'unauthorized');
  });

  test('201 creates a product, which the public API then serves', async () => {
    const h = harness({ adminToken: TOKEN });
    const res = await h.post('/api/admin/products', create, { authorization: `bearer ${TOKEN}` });
    expect(res.status).toBe(201);
    const product = (await res.json()) as { id: number };
    expect(product).toEqual({ id: expect.any(Number), name: 'Limited Edition Product', price: '99.99', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });
    expect(await (await h.get(`/api/products/${product.id}`)).json()).toEqual(product);
  });

  test('prices keep their cents exactly: "0.1" is 0.10, "5" is 5.00', async () => {
    const h = harness({ adminToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(await (await h.post('/api/admin/products', { ...create, price: '0.1' }, auth)).json()).toMatchObject({ price: '0.10' });
    expect(await (await h.post('/api/admin/products', { ...create, price: '5' }, auth)).json()).toMatchObject({ price: '5.00' });
  });

  test('200 restock adds to the available stock; 404 for an unknown product', async () => {
    const h = harness({ adminToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const id = await h.product(3);
    await h.hold(id, 3);
    const res = await h.post(`/api/admin/products/${id}/restock`, { qty: 10 }, auth);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, available_stock: 10 });
    await expectProblem(await h.post('/api/admin/products/999/restock', { qty: 1 }, auth), 404, 'product_not_found');
    await expectProblem(await h.post('/api/admin/products/abc/restock', { qty: 1 }, auth), 400, 'invalid_input');
    expect((await h.engine.verify()).ok).toBe(true);
  });

  test("the engine's limits are the wire's: past them is 400 naming the field, and /openapi.json says them", async () => {
    const h = harness({ adminToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const id = await h.product(3);
    const before = await stateOf(h);
    const tooMuchStock = await expectProblem(await h.post('/api/admin/products', { ...create, stock: INPUT_LIMITS.stock.max + 1 }, auth), 400, 'invalid_input');
    expect(tooMuchStock.errors).toEqual([{ in: 'body', pointer: '#/stock', detail: `must be a non-negative integer, at most ${INPUT_LIMITS.stock.max}` }]);
    const tooMuchQty = await expectProblem(await h.post(`/api/admin/products/${id}/restock`, { qty: INPUT_LIMITS.restockQty.max + 1 }, auth), 400, 'invalid_input');
    expect(tooMuchQty.errors).toEqual([{ in: 'body', pointer: '#/qty', detail: `must be a positive integer, at most ${INPUT_LIMITS.restockQty.max}` }]);
    expect(await stateOf(h)).toEqual(before);
    expect(await (await h.post('/api/admin/products', { ...create, stock: INPUT_LIMITS.stock.max }, auth)).json()).toMatchObject({ available_stock: INPUT_LIMITS.stock.max });

    const schemas = ((await (await h.get('/openapi.json')).json()) as { components: { schemas: Record<string, any> } }).components.schemas;
    expect(schemas.CreateProductRequest.properties.stock).toMatchObject({ minimum: 0, maximum: INPUT_LIMITS.stock.max });
    expect(schemas.RestockRequest.properties.qty).toMatchObject({ maximum: INPUT_LIMITS.restockQty.max });
    expect(schemas.Order.properties.status.enum).toEqual([...ORDER_STATUSES]);
  });
});

import { describe, expect, test } from 'vitest';
import { expectProblem, harness } from './helpers.js';

describe('GET /api/products/{id}', () => {
  test('200 with the seed shape (price a decimal string, available_stock an integer) and the sale window fields', async () => {
    const h = harness();
    const id = await h.product(50, '99.99');
    const res = await h.get(`/api/products/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ id, name: 'Limited Edition Product', price: '99.99', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });
  });

  test('available_stock goes down as soon as a hold is taken', async () => {
    const h = harness();
    const id = await h.product(50);
    await h.hold(id, 2);
    expect(await (await h.get(`/api/products/${id}`)).json()).toMatchObject({ available_stock: 48 });
  });

  test('404 product_not_found for an id that does not exist', async () => {
    const h = harness();
    await expectProblem(await h.get('/api/products/999'), 404, 'product_not_found');
  });

  test.each(['0', '-1', 'abc', '1.5', '01', '1e3', '0x10', '9007199254740993', '99999999999999999999', ' 1'])(
    '400 invalid_input when the id is %j',
    async (id) => {
      const h = harness();
      const body = await expectProblem(await h.get(`/api/products/${encodeURIComponent(id)}`), 400, 'invalid_input');
      expect(body.errors).toEqual([{ in: 'path', pointer: 'id', detail: 'must be a positive integer' }]);
    },
  );
});

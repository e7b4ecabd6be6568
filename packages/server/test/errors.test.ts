import { flashSaleError } from '@flashsale/core';
import { describe, expect, test } from 'vitest';
import { PROBLEM_CATALOG } from '../src/index.js';
import { captureLogger, expectProblem, harness, overrideStore } from './helpers.js';

describe('error mapping', () => {
  test('every engine error code has exactly the status docs/api.md documents', () => {
    expect(Object.fromEntries(Object.entries(PROBLEM_CATALOG).map(([code, kind]) => [code, kind.status]))).toMatchObject({
      invalid_input: 400,
      product_not_found: 404,
      insufficient_stock: 409,
      invalid_hold: 403,
      hold_expired: 400,
      hold_used: 400,
      order_not_found: 404,
      payment_conflict: 409,
      idempotency_key_reuse: 422,
      idempotency_in_flight: 409,
      storage_unavailable: 503,
    });
  });

  test('storage_unavailable from the store is 503 with Retry-After', async () => {
    const h = harness({}, {}, overrideStore({ getProduct: () => Promise.reject(flashSaleError('storage_unavailable')) }));
    const res = await h.get('/api/products/1');
    await expectProblem(res, 503, 'storage_unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
  });

  test('idempotency_in_flight from the store is 409', async () => {
    const h = harness({}, {}, overrideStore({ applyPayment: () => Promise.reject(flashSaleError('idempotency_in_flight')) }));
    await expectProblem(await h.post('/api/payments/webhook', { order_id: 1, status: 'success' }, { 'idempotency-key': 'k' }), 409, 'idempotency_in_flight');
  });

  test('an unexpected error is a 500 without its message or stack, and is logged in full', async () => {
    const { logger, lines } = captureLogger();
    const boom = new Error('SQLITE_CORRUPT: secret detail at /var/lib/db');
    const h = harness({ logger }, {}, overrideStore({ getProduct: () => Promise.reject(boom) }));
    const res = await h.get('/api/products/1');
    const body = await expectProblem(res, 500, 'internal_error');
    expect(JSON.stringify(body)).not.toContain('SQLITE_CORRUPT');
    const logged = lines.find((line) => line.msg === 'unexpected error') as { err?: { message?: string; stack?: string } } | undefined;
    expect(logged?.err?.message).toBe(boom.message);
    expect(logged?.err?.stack).toContain('Error: SQLITE_CORRUPT');
  });
});

import { describe, expect, test } from 'vitest';
import { expectProblem, harness, overrideStore } from './helpers.js';

const failingPing = overrideStore({ ping: () => Promise.reject(new Error('connect ECONNREFUSED postgres://user:hunter2@db/shop')) });

describe('operations endpoints', () => {
  test('GET /healthz is 200 while the process runs, even when storage is down', async () => {
    const h = harness({}, {}, failingPing);
    const res = await h.get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('GET /readyz is 200 when storage answers', async () => {
    const h = harness();
    const res = await h.get('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  test('GET /readyz is 503 storage_unavailable when the store ping fails, without leaking the cause', async () => {
    const h = harness({}, {}, failingPing);
    const res = await h.get('/readyz');
    const body = await expectProblem(res, 503, 'storage_unavailable');
    expect(JSON.stringify(body)).not.toMatch(/hunter2|ECONNREFUSED/);
    expect(res.headers.get('retry-after')).toBe('1');
  });

  test('GET /readyz is 503 when the store does not answer in time', async () => {
    const hanging = overrideStore({ ping: () => new Promise<void>(() => {}) });
    const h = harness({ readyTimeoutMs: 20 }, {}, hanging);
    await expectProblem(await h.get('/readyz'), 503, 'storage_unavailable');
  });

  test('GET /metrics counts requests by route pattern and status, holds created and refused, and stock released', async () => {
    const h = harness();
    const id = await h.product(2);
    const hold = await h.hold(id, 1);
    await h.post('/api/holds', { product_id: id, qty: 5 }); // 409
    await h.post('/api/holds', { product_id: 999, qty: 1 }); // 404
    await h.get(`/api/products/${id}`);
    await h.get('/api/products/7');
    const order = await h.post('/api/orders', { hold_id: hold.hold_id, token: hold.token });
    const { order_id } = (await order.json()) as { order_id: number };
    await h.post('/api/payments/webhook', { order_id, status: 'failed' }, { 'idempotency-key': 'm-1' });
    await h.hold(id, 1);
    h.clock.advance(120_000);
    await h.engine.releaseExpired();

    const res = await h.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const line = (pattern: string) => expect(text).toContain(pattern);
    line('flashsale_http_requests_total{method="POST",route="/api/holds",status="201"} 2');
    line('flashsale_http_requests_total{method="POST",route="/api/holds",status="409"} 1');
    line('flashsale_http_requests_total{method="POST",route="/api/holds",status="404"} 1');
    line('flashsale_http_requests_total{method="GET",route="/api/products/:id",status="200"} 1');
    line('flashsale_http_requests_total{method="GET",route="/api/products/:id",status="404"} 1');
    line('flashsale_http_requests_total{method="POST",route="/api/payments/webhook",status="200"} 1');
    line('flashsale_http_request_duration_seconds_count{method="POST",route="/api/holds",status="201"} 2');
    line('flashsale_holds_created_total 2');
    line('flashsale_holds_rejected_total{reason="insufficient_stock"} 1');
    line('flashsale_holds_rejected_total{reason="product_not_found"} 1');
    // Four hold requests, each its own store call: nothing sold out yet when they came.
    line('flashsale_reserve_batches_total 4');
    line('flashsale_reserve_batch_requests_total 4');
    line('flashsale_stock_released_units_total{cause="payment_failed"} 1');
    line('flashsale_stock_released_units_total{cause="hold_expired"} 1');
    line('flashsale_release_passes_total 1');
    expect(text).toContain('# TYPE flashsale_sweeper_runs_total counter');
    // Raw paths never become labels.
    expect(text).not.toContain('route="/api/products/7"');
  });

  test('metrics can be turned off: /metrics is then 404', async () => {
    const h = harness({ metrics: false });
    await expectProblem(await h.get('/metrics'), 404, 'not_found');
  });

  test('GET /openapi.json documents every route, from the schemas that validate', async () => {
    const h = harness({ adminToken: 't', webhookSecret: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' });
    const res = await h.get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string; required?: boolean }[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, { minimum?: number; maximum?: number; type?: string }>; required?: string[]; additionalProperties?: unknown }>; securitySchemes?: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/products/{id}',
        '/api/holds',
        '/api/orders',
        '/api/payments/webhook',
        '/api/admin/products',
        '/api/admin/products/{id}',
        '/api/admin/products/{id}/restock',
        // Events for the merchant.
        '/api/admin/events',
        '/healthz',
        '/readyz',
        '/problems/{code}',
        '/metrics',
        // Hold lifecycle.
        '/api/holds/{id}',
        '/api/holds/{id}/release',
        '/api/holds/{id}/extend',
        '/api/orders/{id}',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/api/holds/{id}/release']!.post!.responses).sort()).toEqual(['200', '400', '403', '413', '429', '4XX', '503']);
    expect(Object.keys(doc.paths['/api/holds/{id}/extend']!.post!.responses).sort()).toEqual(['200', '400', '403', '409', '413', '429', '4XX', '503']);
    for (const read of ['/api/holds/{id}', '/api/orders/{id}']) {
      expect(Object.keys(doc.paths[read]!.get!.responses).sort()).toEqual(['200', '400', '401', '403', '429', '4XX', '503']);
      expect(doc.paths[read]!.get!.parameters!.map((p) => [p.name, p.in, p.required])).toEqual(expect.arrayContaining([['id', 'path', true], ['hold-token', 'header', true]]));
    }
    expect(Object.keys(doc.paths['/api/holds']!.post!.responses).sort()).toEqual(['201', '400', '404', '409', '413', '422', '429', '4XX', '503']);
    expect(Object.keys(doc.paths['/api/orders']!.post!.responses).sort()).toEqual(['201', '400', '403', '409', '413', '422', '429', '4XX', '503']);
    expect(Object.keys(doc.paths['/api/payments/webhook']!.post!.responses).sort()).toEqual(['200', '400', '401', '404', '409', '413', '422', '429', '4XX', '503']);
    const hookHeaders = doc.paths['/api/payments/webhook']!.post!.parameters!.filter((p) => p.in === 'header').map((p) => [p.name, p.required]);
    // Signed, the webhook-id is the idempotency key; the unsigned Idempotency-Key header is not used.
    expect(hookHeaders).toEqual(expect.arrayContaining([['webhook-id', true], ['webhook-timestamp', true]]));
    expect(hookHeaders.map(([name]) => name)).not.toContain('idempotency-key');
    const holdRequest = doc.components.schemas.HoldRequest!;
    expect(holdRequest.required?.sort()).toEqual(['product_id', 'qty']);
    expect(holdRequest.additionalProperties).toBe(false);
    expect(holdRequest.properties!.qty).toMatchObject({ type: 'integer', maximum: 1_000_000 });
    expect(doc.components.schemas.Problem).toBeDefined();
    expect(doc.components.securitySchemes).toHaveProperty('adminBearer');
  });

  test('without an admin token the admin routes are not documented', async () => {
    const h = harness();
    const doc = (await (await h.get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.includes('admin'))).toEqual([]);
  });

  test('every operation has its own operationId and states its security: none, the admin bearer, or the webhook signature', async () => {
    type Operation = { operationId?: string; security?: Record<string, string[]>[] };
    type Doc = { servers?: { url: string }[]; paths: Record<string, Record<string, Operation>>; components: { securitySchemes?: Record<string, unknown> } };
    const operations = (doc: Doc) => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ at: `${method} ${path}`, ...op })));
    const securityOf = (doc: Doc) => Object.fromEntries(operations(doc).map((op) => [op.at, op.security]));

    const signed = (await (await harness({ adminToken: 't', webhookSecret: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' }).get('/openapi.json')).json()) as Doc;
    expect(signed.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    const ids = operations(signed).map((op) => op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(securityOf(signed)).toEqual({
      'get /api/products/{id}': [],
      'post /api/holds': [],
      'post /api/orders': [],
      'get /api/holds/{id}': [],
      'post /api/holds/{id}/release': [],
      'post /api/holds/{id}/extend': [],
      'get /api/orders/{id}': [],
      'post /api/payments/webhook': [{ webhookSignature: [] }],
      'post /api/admin/products': [{ adminBearer: [] }],
      'patch /api/admin/products/{id}': [{ adminBearer: [] }],
      'post /api/admin/products/{id}/restock': [{ adminBearer: [] }],
      'get /api/admin/events': [{ adminBearer: [] }],
      'get /healthz': [],
      'get /readyz': [],
      'get /metrics': [],
      'get /problems/{code}': [],
    });
    expect(signed.components.securitySchemes).toEqual({
      adminBearer: { type: 'http', scheme: 'bearer' },
      webhookSignature: { type: 'apiKey', in: 'header', name: 'webhook-signature', description: expect.stringContaining('HMAC-SHA256') },
    });

    // Without a secret the webhook is unauthenticated, and the document says so rather than promise a check.
    const unsigned = (await (await harness().get('/openapi.json')).json()) as Doc;
    expect(securityOf(unsigned)['post /api/payments/webhook']).toEqual([]);
    expect(unsigned.components.securitySchemes ?? {}).toEqual({});
  });

  test('a problem type URI resolves to its description', async () => {
    const h = harness();
    const res = await h.get('/problems/insufficient_stock');
    expect(await res.json()).toEqual({ type: '/problems/insufficient_stock', code: 'insufficient_stock', title: 'Insufficient stock', status: 409 });
    await expectProblem(await h.get('/problems/nope'), 404, 'not_found');
  });
});

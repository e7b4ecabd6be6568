import { generateWebhookSecret, signWebhook } from '@flashsale/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningCli } from './helpers/cli-process.js';
import { freshSqlite, type TestDatabase } from './helpers/databases.js';

/** The serve flags and environment variables reach the server they configure. */
describe('flashsale serve configuration', () => {
  const secret = generateWebhookSecret();
  const adminToken = 'admin-token-for-tests-0123456789';
  const metricsToken = 'metrics-token-for-tests-0123456789';
  let database: TestDatabase;
  let server: RunningCli;
  let base: string;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    database = freshSqlite();
    server = await startServe(['--port', '0', '--db', database.db, '--no-seed', '--rate-limit', 'holds=2', '--max-hold-qty', '5', '--hold-max-lifetime', '2m'], {
      env: { FLASHSALE_WEBHOOK_SECRET: secret, FLASHSALE_ADMIN_TOKEN: adminToken, FLASHSALE_METRICS_TOKEN: metricsToken },
    });
    base = server.url;
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await database?.dispose();
  });

  it('--no-seed leaves the database empty', async () => {
    expect((await fetch(`${base}/api/products/1`)).status).toBe(404);
  });

  it('FLASHSALE_ADMIN_TOKEN turns the admin API on behind that token', async () => {
    const body = JSON.stringify({ name: 'Admin made', price: '12.50', stock: 10 });
    expect((await post('/api/admin/products', body, { Authorization: 'Bearer wrong-token' })).status).toBe(401);
    const created = await post('/api/admin/products', body, { Authorization: `Bearer ${adminToken}` });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 1, name: 'Admin made', price: '12.50', available_stock: 10, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });
  });

  it('FLASHSALE_METRICS_TOKEN puts /metrics behind that token', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${adminToken}` } })).status).toBe(401);
    const scraped = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${metricsToken}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/^flashsale_http_requests_total\{/m);
  });

  let hold: { hold_id: number; token: string };

  it('--max-hold-qty and --rate-limit holds=2 are applied', async () => {
    expect((await post('/api/holds', JSON.stringify({ product_id: 1, qty: 6 }))).status).toBe(400);
    const granted = await post('/api/holds', JSON.stringify({ product_id: 1, qty: 5 }));
    expect(granted.status).toBe(201);
    hold = (await granted.json()) as typeof hold;
    const limited = await post('/api/holds', JSON.stringify({ product_id: 1, qty: 1 }));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('ratelimit-policy')).toBe('"holds";q=2;w=60');
  });

  it('--hold-max-lifetime is applied: at the hold lifetime (2m) already, a hold cannot be extended', async () => {
    const extended = await post(`/api/holds/${hold.hold_id}/extend`, JSON.stringify({ token: hold.token }));
    expect(extended.status).toBe(409);
    expect(await extended.json()).toMatchObject({ code: 'hold_extension_limit' });
  });

  it('FLASHSALE_WEBHOOK_SECRET makes webhooks need a valid signature', async () => {
    const order = (await (await post('/api/orders', JSON.stringify({ hold_id: hold.hold_id, token: hold.token }))).json()) as { order_id: number };
    const body = JSON.stringify({ order_id: order.order_id, status: 'success', txn_id: 'TXN-1' });
    expect((await post('/api/payments/webhook', body, { 'Idempotency-Key': 'pay-1' })).status).toBe(401);
    expect((await post('/api/payments/webhook', body, { 'Idempotency-Key': 'pay-1', ...signWebhook(generateWebhookSecret(), body) })).status).toBe(401);
    const paid = await post('/api/payments/webhook', body, { 'Idempotency-Key': 'pay-1', ...signWebhook(secret, body) });
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ status: 'processed', order_status: 'completed' });
  });

  it('prints no unauthenticated-webhook warning and never the secrets', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const { stdout, stderr } = server.output();
    expect(stderr).not.toMatch(/WARNING: webhooks are unauthenticated/);
    expect(stdout).toContain('admin API on');
    expect(stdout).toContain('/metrics behind a token');
    expect(stdout).toContain('holds 2m (extensible to 2m)');
    expect(stdout + stderr).not.toContain(secret);
    expect(stdout + stderr).not.toContain(adminToken);
    expect(stdout + stderr).not.toContain(metricsToken);
  });
});

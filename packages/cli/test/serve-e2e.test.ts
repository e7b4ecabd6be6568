import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningCli } from './helpers/cli-process.js';
import { DATABASE_KINDS, type TestDatabase } from './helpers/databases.js';

/**
 * The real `flashsale serve`, as its own process on a free port, driven over HTTP exactly as the
 * README's curl examples do; the other commands run as separate processes against the same
 * database while it serves.
 */
describe.each(DATABASE_KINDS)('flashsale serve end to end on $kind', ({ fresh }) => {
  let database: TestDatabase;
  let server: RunningCli;
  let base: string;

  const json = { 'Content-Type': 'application/json' };
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    database = fresh();
    // Holds live 5 s and the sweeper waits an hour, so the test, not the sweeper, decides when
    // expired holds are released: by running `flashsale holds:release`.
    server = await startServe(['--port', '0', '--db', database.db, '--no-rate-limit', '--hold-ttl', '5s', '--sweep-interval', '1h']);
    base = server.url;
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await database?.dispose();
  });

  it('prints the URL it listens on, a real port, and seeds the demo product', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(base).port)).toBeGreaterThan(0);
    expect(server.messages()).toContain('seeded the demo product 1: "Limited Edition Product", price 99.99, available stock 50');
  });

  it("runs the README's complete purchase flow", async () => {
    const product = await fetch(`${base}/api/products/1`);
    expect(product.status).toBe(200);
    expect(await product.json()).toEqual({ id: 1, name: 'Limited Edition Product', price: '99.99', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });

    const holdRes = await post('/api/holds', { product_id: 1, qty: 2 });
    expect(holdRes.status).toBe(201);
    const hold = (await holdRes.json()) as { hold_id: number; token: string; expires_at: string; product_id: number; qty: number };
    expect(hold).toMatchObject({ product_id: 1, qty: 2 });
    expect(Number.isSafeInteger(hold.hold_id) && hold.hold_id > 0).toBe(true);
    expect(hold.token).toMatch(/^[0-9a-f]{32,}$/);
    expect(hold.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    const orderRes = await post('/api/orders', { hold_id: hold.hold_id, token: hold.token });
    expect(orderRes.status).toBe(201);
    const order = (await orderRes.json()) as { order_id: number; status: string; amount: string };
    expect(order).toEqual({ order_id: expect.any(Number), status: 'pending', amount: '199.98' });

    const payment = { order_id: order.order_id, status: 'success', txn_id: 'TXN-789' };
    const paid = await post('/api/payments/webhook', payment, { 'Idempotency-Key': 'unique-payment-id-123' });
    expect(paid.status).toBe(200);
    expect(paid.headers.get('idempotent-replayed')).toBeNull();
    const paidBody = await paid.json();
    expect(paidBody).toEqual({ status: 'processed', order_status: 'completed' });

    const again = await post('/api/payments/webhook', payment, { 'Idempotency-Key': 'unique-payment-id-123' });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual(paidBody);

    const after = (await (await fetch(`${base}/api/products/1`)).json()) as { available_stock: number };
    expect(after.available_stock).toBe(48);
  });

  let stampedeId: number;
  let lastExpiry = 0;

  it('gives exactly 50 of 200 concurrent 1-unit holds on a product created by products:create', async () => {
    const created = await runCli(['products:create', '--db', database.db, '--name', 'Stampede', '--price', '10', '--stock', '50', '--json']);
    expect(created.code).toBe(0);
    const product = JSON.parse(created.stdout) as { id: number; name: string; price: string; available_stock: number };
    expect(product).toEqual({ id: expect.any(Number), name: 'Stampede', price: '10.00', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });
    stampedeId = product.id;

    const answers = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const res = await post('/api/holds', { product_id: stampedeId, qty: 1 });
        return { status: res.status, body: (await res.json()) as { expires_at?: string; code?: string } };
      }),
    );
    const granted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 409);
    expect(granted).toHaveLength(50);
    expect(refused).toHaveLength(150);
    expect(refused.every((a) => a.body.code === 'insufficient_stock')).toBe(true);
    lastExpiry = Math.max(...granted.map((a) => Date.parse(a.body.expires_at!)));

    const after = (await (await fetch(`${base}/api/products/${stampedeId}`)).json()) as { available_stock: number };
    expect(after.available_stock).toBe(0);
  });

  it('holds:release, as its own process while the server runs, gives back exactly the expired holds', async () => {
    // Wait until every stampede hold has passed its expiry (the purchase flow's hold became an order).
    const wait = lastExpiry + 50 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));

    const released = await runCli(['holds:release', '--db', database.db, '--json']);
    expect(released.stderr).toBe('');
    expect(released.code).toBe(0);
    expect(JSON.parse(released.stdout)).toEqual({ holds: 50, orders: 0, units: 50, purged_idempotency: 0, purged_events: 0 });

    const after = (await (await fetch(`${base}/api/products/${stampedeId}`)).json()) as { available_stock: number };
    expect(after.available_stock).toBe(50);

    const again = await runCli(['holds:release', '--db', database.db]);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('released 0 expired holds and 0 unpaid orders (0 units back in stock); purged 0 idempotency records and 0 merchant events');
  });

  it('verify, as its own process while the server runs, finds every invariant holding', async () => {
    const verified = await runCli(['verify', '--db', database.db, '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toEqual({ ok: true, products: 2, violations: [] });
  });

  it('stops promptly with exit 0 on SIGTERM', async () => {
    server.child.kill('SIGTERM');
    const exit = await Promise.race([
      server.exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
    ]);
    expect(exit).toEqual({ code: 0, signal: null });
    const { stderr } = server.output();
    expect(server.messages()).toMatch(/^flashsale stopped$/m);
    // Said once at start-up, loudly, because no webhook secret was given.
    expect(stderr).toMatch(/^WARNING: webhooks are unauthenticated/m);
  });
});

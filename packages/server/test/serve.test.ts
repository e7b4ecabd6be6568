import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale, type FlashSaleStore } from '@flashsale/core';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createMetrics, createServerLog, generateWebhookSecret, serve, signWebhook, type RunningServer, type ServeOptions } from '../src/index.js';
import { captureLogger, overrideStore } from './helpers.js';

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()));
});

async function start(options: Partial<ServeOptions> = {}, wrap: (s: FlashSaleStore) => FlashSaleStore = (s) => s) {
  const metrics = createMetrics();
  const store = openSqliteStore({ filename: ':memory:' });
  const engine = createFlashSale({ store: wrap(store), onEvent: metrics.onEvent });
  const server = await serve({ engine, metrics, port: 0, logger: false, rateLimit: false, webhookSecret: generateWebhookSecret(), ...options });
  running.push(server);
  return { server, engine, store };
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

describe('serve()', () => {
  test('listens on the URL it reports and runs the seed purchase flow over HTTP', async () => {
    const secret = generateWebhookSecret();
    const { server, engine } = await start({ webhookSecret: secret });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const product = await engine.createProduct({ name: 'Limited Edition Product', price: '99.99', stock: 50 });

    const view = await fetch(`${server.url}/api/products/${product.id}`);
    expect(await view.json()).toEqual({ id: product.id, name: 'Limited Edition Product', price: '99.99', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' });
    const hold = (await (await fetch(`${server.url}/api/holds`, json({ product_id: product.id, qty: 2 }))).json()) as { hold_id: number; token: string };
    const order = await fetch(`${server.url}/api/orders`, json({ hold_id: hold.hold_id, token: hold.token }));
    expect(order.status).toBe(201);
    const { order_id, amount } = (await order.json()) as { order_id: number; amount: string };
    expect(amount).toBe('199.98');
    const body = JSON.stringify({ order_id, status: 'success', txn_id: 'TXN-789' });
    const paid = await fetch(`${server.url}/api/payments/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'unique-payment-id-123', ...signWebhook(secret, body) },
      body,
    });
    expect(await paid.json()).toEqual({ status: 'processed', order_status: 'completed' });
  });

  test('rate limits key on the real socket address', async () => {
    const { server, engine } = await start({ rateLimit: { limits: { holds: 2 } } });
    const { id } = await engine.createProduct({ name: 'P', price: '1.00', stock: 10 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${server.url}/api/holds`, json({ product_id: id, qty: 1 }))).status);
    expect(statuses).toEqual([201, 201, 429]);
    expect((await engine.getProduct(id)).availableStock).toBe(8);
  });

  test('trustProxy takes the client from X-Forwarded-For', async () => {
    const { server, engine } = await start({ trustProxy: 1, rateLimit: { limits: { holds: 1 } } });
    const { id } = await engine.createProduct({ name: 'P', price: '1.00', stock: 10 });
    const send = (xff: string) => fetch(`${server.url}/api/holds`, json({ product_id: id, qty: 1 }, { 'x-forwarded-for': xff }));
    expect([(await send('198.51.100.1')).status, (await send('198.51.100.2')).status, (await send('198.51.100.1')).status]).toEqual([201, 201, 429]);
  });

  test('runs the sweeper, and counts its runs', async () => {
    const { server } = await start({ sweeper: { intervalMs: 1 } });
    const text = async () => (await fetch(`${server.url}/metrics`)).text();
    while (!/flashsale_sweeper_runs_total\{outcome="ok"\} [1-9]/.test(await text()));
    expect(await text()).toMatch(/flashsale_release_passes_total [1-9]/);
  });

  test('close() lets an in-flight request finish, then stops listening and closes the store', async () => {
    let release!: () => void;
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const gate = new Promise<void>((r) => (release = r));
    let closed = false;
    const { server, engine, store } = await start({}, (s) =>
      overrideStore({
        getProduct: async (id: number) => {
          entered();
          await gate;
          return s.getProduct(id);
        },
        close: async () => {
          closed = true;
          await s.close();
        },
      })(s),
    );
    await engine.createProduct({ name: 'P', price: '1.00', stock: 10 });
    const inFlight = fetch(`${server.url}/api/products/1`);
    await inside;
    const closing = server.close();
    expect(server.close()).toBe(closing); // idempotent
    release();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ available_stock: 10 });
    await closing;
    expect(closed).toBe(true);
    expect(server.server.listening).toBe(false);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await expect(store.ping()).rejects.toThrow();
  });

  test('close() cuts a request still running after shutdownTimeoutMs, and still closes the store', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const { server, store } = await start({ shutdownTimeoutMs: 20 }, overrideStore({
      getProduct: () => {
        entered();
        return new Promise(() => {}); // never answers
      },
    }));
    const hung = fetch(`${server.url}/api/products/1`);
    await inside;
    await server.close();
    await expect(hung).rejects.toThrow();
    await expect(store.ping()).rejects.toThrow();
  });

  test('warns loudly at start-up when webhooks are unsigned, and not otherwise', async () => {
    const unsigned = captureLogger();
    const { server } = await start({ logger: unsigned.logger, webhookSecret: undefined });
    const warning = unsigned.lines.find((line) => line.level === 40);
    expect(warning?.msg).toMatch(/WEBHOOKS ARE UNAUTHENTICATED/);
    expect(unsigned.lines).toContainEqual(expect.objectContaining({ msg: `flashsale listening on ${server.url}`, url: server.url }));

    const signed = captureLogger();
    await start({ logger: signed.logger });
    expect(signed.lines.filter((line) => line.level === 40)).toEqual([]);
  });

  test('its log shows request lines while it runs, and /metrics counts the lines an output that failed (EPIPE) gave up', async () => {
    const written: string[] = [];
    let broken = false;
    const output = {
      write(text: string, callback?: (error?: Error | null) => void) {
        if (!broken) written.push(text);
        const error = broken ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) : null;
        process.nextTick(() => callback?.(error));
        return true;
      },
    };
    const { server, engine } = await start({ logger: undefined, log: createServerLog({ output }) });
    const { id } = await engine.createProduct({ name: 'P', price: '1.00', stock: 1 });
    expect((await fetch(`${server.url}/api/products/${id}`)).status).toBe(200);
    // Written by the log's timer, long before close().
    await expect.poll(() => written.join(''), { timeout: 5_000 }).toMatch(/"route":"\/api\/products\/:id","status":200/);

    broken = true;
    for (let i = 0; i < 5; i++) await fetch(`${server.url}/api/products/${id}`);
    const dropped = async () => /^flashsale_log_lines_dropped_total (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1];
    // Five product reads, and the /metrics reads before this one that were logged too.
    await expect.poll(async () => Number(await dropped()), { timeout: 5_000 }).toBeGreaterThanOrEqual(5);
  });

  test('handleSignals installs SIGTERM/SIGINT handlers and removes them on close', async () => {
    const before = [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const { server } = await start({ handleSignals: true });
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual([before[0]! + 1, before[1]! + 1]);
    await server.close();
    expect([process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')]).toEqual(before);
  });

  test('event delivery that cannot start is a rejected promise that leaves the port free, the sweeper stopped and the engine open', async () => {
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as AddressInfo).port;
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const engine = createFlashSale({ store: overrideStore({ registerEventSink: () => Promise.reject(new Error('database is locked')) })(openSqliteStore({ filename: ':memory:' })) });
    let sweeps = 0;
    const counted = { ...engine, releaseExpired: () => ((sweeps += 1), engine.releaseExpired()) };
    const sink = { id: 'hook', label: 'hook', deliver: async () => {} };
    await expect(serve({ engine: counted, port, logger: false, webhookSecret: generateWebhookSecret(), sweeper: { intervalMs: 10 }, events: { sinks: [sink] } })).rejects.toThrow('database is locked');
    const sweepsAtRejection = sweeps;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sweeps).toBe(sweepsAtRejection);
    // The caller still owns the engine, and the port is free for the next try.
    const product = await engine.createProduct({ name: 'P', price: '1.00', stock: 1 });
    const again = await serve({ engine, port, logger: false, rateLimit: false, webhookSecret: generateWebhookSecret() });
    running.push(again);
    expect((await fetch(`${again.url}/api/products/${product.id}`)).status).toBe(200);
  });

  test('a port in use is a rejected promise, not a crash', async () => {
    const { server } = await start();
    const engine = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }) });
    await expect(serve({ engine, port: server.port, logger: false, webhookSecret: generateWebhookSecret() })).rejects.toThrow(/EADDRINUSE/);
    await engine.close();
  });
});

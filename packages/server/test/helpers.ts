import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale, type FlashSale, type FlashSaleOptions, type FlashSaleStore } from '@flashsale/core';
import { manualClock, type ManualClock } from '@flashsale/core/testing';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { expect } from 'vitest';
import { createApp, createMetrics, type AppOptions, type Metrics } from '../src/index.js';

export const START = Date.UTC(2026, 0, 1, 12, 0, 0);


export interface Harness {
  app: ReturnType<typeof createApp>;
  engine: FlashSale;
  store: FlashSaleStore;
  metrics: Metrics;
  clock: ManualClock;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  product(stock?: number, price?: string): Promise<number>;
  stock(productId: number): Promise<number>;
  hold(productId: number, qty?: number): Promise<{ hold_id: number; token: string }>;
  order(productId: number, qty?: number): Promise<{ order_id: number; hold_id: number }>;
}

/**
 * A real engine on a store (default: SQLite in memory), a manual clock, and the app. Rate limits
 * are off unless a test turns them on: app.request() calls all share one client address.
 */
export function harness(
  options: Partial<AppOptions> = {},
  engineOptions: Partial<FlashSaleOptions> = {},
  wrapStore: (store: FlashSaleStore) => FlashSaleStore = (s) => s,
  store: FlashSaleStore = openSqliteStore({ filename: ':memory:' }),
): Harness {
  const clock = manualClock(START);
  const metrics = createMetrics();
  const engine = createFlashSale({ store: wrapStore(store), clock, onEvent: metrics.onEvent, ...engineOptions });
  const app = createApp({ engine, metrics, logger: false, rateLimit: false, ...options });
  const get = (path: string, headers: Record<string, string> = {}) => Promise.resolve(app.request(path, { headers }));
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    Promise.resolve(
      app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  const h: Harness = {
    app,
    engine,
    store,
    metrics,
    clock,
    get,
    post,
    async product(stock = 50, price = '99.99') {
      return (await engine.createProduct({ name: 'Limited Edition Product', price, stock })).id;
    },
    async stock(productId) {
      return (await engine.getProduct(productId)).availableStock;
    },
    async hold(productId, qty = 1) {
      const res = await post('/api/holds', { product_id: productId, qty });
      expect(res.status).toBe(201);
      return (await res.json()) as { hold_id: number; token: string };
    },
    async order(productId, qty = 1) {
      const hold = await h.hold(productId, qty);
      const res = await post('/api/orders', { hold_id: hold.hold_id, token: hold.token });
      expect(res.status).toBe(201);
      return { ...((await res.json()) as { order_id: number }), hold_id: hold.hold_id };
    },
  };
  return h;
}

/** Asserts an RFC 9457 answer with the given status and code, and returns its body. */
export async function expectProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  const body = (await res.json()) as Record<string, unknown>;
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(body).toMatchObject({ type: `/problems/${code}`, status, title: expect.any(String), detail: expect.any(String) });
  expect(JSON.stringify(body)).not.toMatch(/\bat .+\.(ts|js):\d+/); // never a stack trace
  return body;
}

/** The state a refused request must leave untouched: every product's audit row, and a clean verify. */
export async function stateOf(h: Harness) {
  const snapshot = await h.store.auditSnapshot();
  const report = await h.engine.verify();
  expect(report.violations).toEqual([]);
  return snapshot;
}

/** The store with some methods replaced; every other method still reaches the real store. */
export function overrideStore(overrides: Partial<FlashSaleStore>) {
  return (store: FlashSaleStore): FlashSaleStore =>
    new Proxy(store, {
      get(target, property) {
        if (Object.hasOwn(overrides, property)) return overrides[property as keyof FlashSaleStore];
        const value = Reflect.get(target, property) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
}

/** A pino logger writing JSON lines into an array. */
export function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

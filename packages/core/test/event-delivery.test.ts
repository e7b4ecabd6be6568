import { describe, expect, it } from 'vitest';
import { createFlashSale, retryDelay, type EventSink, type MerchantEvent } from '../src/index.js';
import { openMemoryStore } from '../src/testing/index.js';

const STEPS = { retryDelayMs: 1_000, maxRetryDelayMs: 60_000 };

describe('retryDelay: exponential back-off with jitter', () => {
  it('doubles from the first delay, drawn in the upper half of each step, and stops growing at the cap', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, STEPS, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([1, 2, 3, 4].map((attempt) => retryDelay(attempt, STEPS, () => 0.999_999))).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelay(7, STEPS, () => 0.5)).toBe(45_000);
    expect(retryDelay(10_000, STEPS, () => 0.999_999)).toBe(60_000);
  });
});

describe('startEventDelivery', () => {
  const sale = () => createFlashSale({ store: openMemoryStore() });

  it('refuses two sinks with one id and settings that are not positive integers', async () => {
    const sink: EventSink = { id: 'x', label: 'x', deliver: async () => {} };
    await expect(sale().startEventDelivery({ sinks: [sink, { ...sink }] })).rejects.toThrow(/two event sinks share the id x/);
    await expect(sale().startEventDelivery({ sinks: [sink], batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(sale().startEventDelivery({ sinks: [sink], maxAgeMs: 1.5 })).rejects.toThrow(/maxAgeMs/);
  });

  it('stop() cuts an attempt that hangs short, records it as failed, and the next delivery sends it again', async () => {
    const engine = sale();
    const product = await engine.createProduct({ name: 'P', price: '1.00', stock: 1 });
    const hanging: EventSink = { id: 'hook', label: 'hook', deliver: (_event, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))) };
    const outcomes: string[] = [];
    const first = await engine.startEventDelivery({ sinks: [hanging], pollIntervalMs: 5, attemptTimeoutMs: 60_000, retryDelayMs: 1, onAttempt: (r) => outcomes.push(`${r.outcome}: ${r.error}`) });
    await engine.restock({ productId: product.id, qty: 1 });
    while (outcomes.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (outcomes.length === 0 && (await first.backlog())[0]!.pending === 1) break;
    }
    const started = Date.now();
    await first.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcomes).toEqual(['retry: the server is shutting down']);

    const received: MerchantEvent[] = [];
    const second = await engine.startEventDelivery({ sinks: [{ id: 'hook', label: 'hook', deliver: async (event) => void received.push(event) }], pollIntervalMs: 5 });
    try {
      while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(received.map((e) => e.type)).toEqual(['product.restocked']);
    } finally {
      await second.stop();
    }
  });

  it('tells of an attempt only once its settlement is recorded: a lost settlement is attempted again and counted once', async () => {
    let now = 1_000_000;
    const store = openMemoryStore();
    let settleFailures = 1;
    // Stands in for a database that drops the connection as the settlement commits.
    const flakyStore = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'settleEventDeliveries') {
          return async (...args: Parameters<typeof store.settleEventDeliveries>) => {
            if (settleFailures-- > 0) throw new Error('connection lost');
            return target.settleEventDeliveries(...args);
          };
        }
        const value = Reflect.get(target, key, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const engine = createFlashSale({ store: flakyStore, clock: () => now });
    const product = await engine.createProduct({ name: 'P', price: '1.00', stock: 1 });
    const received: MerchantEvent[] = [];
    const outcomes: string[] = [];
    const errors: string[] = [];
    const delivery = await engine.startEventDelivery({
      sinks: [{ id: 'hook', label: 'hook', deliver: async (event) => void received.push(event) }],
      pollIntervalMs: 5,
      attemptTimeoutMs: 1_000,
      onAttempt: (r) => outcomes.push(r.outcome),
      onError: (error) => errors.push((error as Error).message),
    });
    try {
      await engine.restock({ productId: product.id, qty: 1 });
      while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(received).toHaveLength(1);
      expect(outcomes).toEqual([]);
      // The lease (2 × attempt timeout + 5 s) runs out and the delivery is claimed again.
      now += 7_001;
      while ((await delivery.backlog())[0]!.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(received.map((e) => e.type)).toEqual(['product.restocked', 'product.restocked']);
      expect(outcomes).toEqual(['delivered']);
      expect(errors).toEqual(['connection lost']);
    } finally {
      await delivery.stop();
    }
  });
});

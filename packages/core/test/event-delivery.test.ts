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

  it('a receiver that never answers holds at most batchSize × batchesInFlight attempts open; the rest wait in the store while sales go on', async () => {
    const store = openMemoryStore();
    const engine = createFlashSale({ store });
    const product = await engine.createProduct({ name: 'P', price: '1.00', stock: 500 });
    // Known before the sales, so their events are queued for it when its delivery starts.
    await store.registerEventSink({ sink: 'hook', now: Date.now() });
    const buy = async (key: string) => {
      const hold = await engine.createHold({ productId: product.id, qty: 1 });
      const order = await engine.createOrder({ holdId: hold.holdId, token: hold.token });
      return engine.applyPayment({ orderId: order.orderId, status: 'success', idempotencyKey: key });
    };
    let open = 0;
    let mostOpen = 0;
    const hanging: EventSink = {
      id: 'hook',
      label: 'hook',
      deliver: (_event, { signal }) => {
        open += 1;
        mostOpen = Math.max(mostOpen, open);
        return new Promise((_, reject) => signal.addEventListener('abort', () => ((open -= 1), reject(signal.reason as Error))));
      },
    };
    for (let i = 0; i < 40; i += 1) await buy(`before-${i}`);
    const delivery = await engine.startEventDelivery({ sinks: [hanging], pollIntervalMs: 1, attemptTimeoutMs: 60_000, batchSize: 4, batchesInFlight: 3 });
    try {
      while (open < 12) await new Promise((resolve) => setTimeout(resolve, 2));
      // Every batch waits on the receiver: sales still answer, and no further attempt is opened.
      const more = await Promise.all(Array.from({ length: 20 }, (_, i) => buy(`during-${i}`)));
      expect(more.every((answer) => answer.orderStatus === 'completed')).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(mostOpen).toBe(12);
      expect((await engine.readEvents({ limit: 1000 })).events).toHaveLength(2 * 60);
    } finally {
      await delivery.stop();
    }
    expect(open).toBe(0);
  });

  it('an attempt that hangs does not hold back the events after it: the next batch goes out beside it', async () => {
    const engine = sale();
    const product = await engine.createProduct({ name: 'P', price: '1.00', stock: 0 });
    const delivered: number[] = [];
    let first = true;
    const sink: EventSink = {
      id: 'hook',
      label: 'hook',
      deliver: (event, { signal }) => {
        if (!first) return Promise.resolve(void delivered.push(event.position));
        first = false;
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
      },
    };
    const delivery = await engine.startEventDelivery({ sinks: [sink], pollIntervalMs: 1, attemptTimeoutMs: 60_000, batchSize: 8, batchesInFlight: 2 });
    try {
      await engine.restock({ productId: product.id, qty: 1 });
      while (first) await new Promise((resolve) => setTimeout(resolve, 2));
      for (let i = 0; i < 5; i += 1) await engine.restock({ productId: product.id, qty: 1 });
      for (let waited = 0; delivered.length < 5; waited += 5) {
        if (waited > 5_000) throw new Error(`${delivered.length} of 5 events delivered while the first attempt hangs`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(delivered).toEqual([2, 3, 4, 5, 6]);
    } finally {
      await delivery.stop();
    }
  });
});

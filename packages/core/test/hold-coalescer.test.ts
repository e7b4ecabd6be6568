import { describe, expect, it } from 'vitest';
import { flashSaleError, HoldCoalescer, type FlashSaleStore, type ReserveOutcome, type ReserveRequest } from '../src/index.js';

/** A store double that records each batch and grants first-fit from a stock counter. */
function recordingStore(stock: number, options: { failBatch?: number } = {}) {
  const batches: number[][] = [];
  const calls: (readonly ReserveRequest[])[] = [];
  let release: (() => void) | undefined;
  const store = {
    async reserveHolds(requests: readonly ReserveRequest[]) {
      batches.push(requests.map((r) => r.qty));
      calls.push(requests);
      if (options.failBatch === batches.length) throw new Error('disk full');
      // Hold the first batch open until released, so later requests pile up behind it.
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return requests.map((r) => {
        if (r.qty > stock) return { kind: 'done' as const, outcome: { kind: 'refused' as const, code: 'insufficient_stock' as const } };
        stock -= r.qty;
        return { kind: 'done' as const, outcome: { kind: 'held' as const, hold: { id: 1, productId: r.productId, qty: r.qty, status: 'active' as const, tokenHash: '', createdAt: 0, expiresAt: 0 } } };
      });
    },
  } as unknown as FlashSaleStore;
  return { store, batches, requests: calls, release: () => release?.() };
}

const request = (qty: number, productId = 1): ReserveRequest => ({ productId, qty, tokenHash: 'h', createdAt: 0, expiresAt: 1 });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('HoldCoalescer', () => {
  it('sends a lone request alone, then batches what queued behind it in arrival order', async () => {
    const { store, batches, release } = recordingStore(10);
    const coalescer = new HoldCoalescer(store, { maxBatch: 100, soldOutWindowMs: 10 });
    const first = coalescer.reserve(request(1));
    await tick();
    const queued = [2, 3, 4, 5].map((qty) => coalescer.reserve(request(qty)));
    release();
    const outcomes = await Promise.all([first, ...queued]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    // First-fit in arrival order: 1 + 2 + 3 + 4 = 10, so 5 is refused.
    expect(outcomes.map((o) => (o.kind === 'done' ? o.outcome.kind : o.kind))).toEqual(['held', 'held', 'held', 'held', 'refused']);
  });

  it('bounds the batch size', async () => {
    const { store, batches, release } = recordingStore(100);
    const coalescer = new HoldCoalescer(store, { maxBatch: 2, soldOutWindowMs: 10 });
    const first = coalescer.reserve(request(1));
    await tick();
    const queued = [1, 1, 1, 1, 1].map((qty) => coalescer.reserve(request(qty)));
    release();
    await Promise.all([first, ...queued]);
    expect(batches.map((b) => b.length)).toEqual([1, 2, 2, 1]);
  });

  it('takes requests for several products that queued together in one call, in arrival order', async () => {
    const { store, batches, release, requests } = recordingStore(100);
    const coalescer = new HoldCoalescer(store, { maxBatch: 10, soldOutWindowMs: 10 });
    const hot = coalescer.reserve(request(1, 1));
    await tick();
    const queued = [request(2, 2), request(3, 1), request(4, 3), request(5, 2)].map((r) => coalescer.reserve(r));
    await tick();
    // Nothing goes beside the call in flight: the others wait for it, then share the next one.
    expect(batches).toEqual([[1]]);
    release();
    await Promise.all([hot, ...queued]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    expect(requests[1]!.map((r) => r.productId)).toEqual([2, 1, 3, 2]);
  });

  it('rejects every request of a batch that fails as a whole with the real error', async () => {
    const { store, release } = recordingStore(100, { failBatch: 2 });
    const coalescer = new HoldCoalescer(store, { maxBatch: 10, soldOutWindowMs: 10 });
    const first = coalescer.reserve(request(1));
    await tick();
    const queued = [1, 1, 1].map((qty) => coalescer.reserve(request(qty)));
    release();
    await expect(first).resolves.toMatchObject({ kind: 'done' });
    const results = await Promise.allSettled(queued);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual(['disk full', 'disk full', 'disk full']);
  });
});

describe('HoldCoalescer on a sold-out product', () => {
  /** A store with no stock left (or, with `refusal`, outside its window) that answers at once and records each batch. */
  function soldOutStore(refusal: ReserveOutcome = { kind: 'refused', code: 'insufficient_stock', stockLeft: 0 }) {
    const batches: number[] = [];
    const store = {
      async reserveHolds(requests: readonly ReserveRequest[]) {
        batches.push(requests.length);
        return requests.map(() => ({ kind: 'done' as const, outcome: refusal }));
      },
    } as unknown as FlashSaleStore;
    return { store, batches };
  }

  // Drops: a product outside its window waits out the whole window, quiet turns and all.
  it.each([
    ['before its sale opens', { kind: 'refused', code: 'sale_not_started', startsAt: 1 } as const],
    ['after its sale ended', { kind: 'refused', code: 'sale_ended' } as const],
  ])('gathers requests for a product %s across quiet turns, until maxBatch', async (_when, refusal) => {
    const { store, batches } = soldOutStore(refusal);
    const coalescer = new HoldCoalescer(store, { maxBatch: 10, soldOutWindowMs: 60_000 });
    await coalescer.reserve(request(1)); // learns "closed by its window"
    const first = await Promise.all([waves(coalescer, 1, 5), tick().then(tick).then(tick).then(() => waves(coalescer, 1, 5))]);
    expect(first.flat()).toHaveLength(10);
    expect(batches).toEqual([1, 10]);
  });

  it('still learns the window from a batch whose last answers are buyers\' own refusals', async () => {
    const batches: number[] = [];
    let call = 0;
    const store = {
      async reserveHolds(requests: readonly ReserveRequest[]) {
        batches.push(requests.length);
        call += 1;
        return requests.map((_, i) =>
          call === 1 && i === requests.length - 1
            ? { kind: 'done' as const, outcome: { kind: 'refused' as const, code: 'buyer_required' as const } }
            : { kind: 'done' as const, outcome: { kind: 'refused' as const, code: 'sale_not_started' as const, startsAt: 1 } },
        );
      },
    } as unknown as FlashSaleStore;
    const coalescer = new HoldCoalescer(store, { maxBatch: 4, soldOutWindowMs: 60_000 });
    await Promise.all([coalescer.reserve(request(1)), coalescer.reserve(request(1))]);
    await Promise.all([waves(coalescer, 1, 2), tick().then(tick).then(() => waves(coalescer, 1, 2))]);
    expect(batches).toEqual([2, 4]);
  });

  /** `waves` waves of `size` requests, one wave per event-loop turn. */
  async function waves(coalescer: HoldCoalescer, waves: number, size: number) {
    const all: Promise<unknown>[] = [];
    for (let wave = 0; wave < waves; wave++) {
      all.push(...Array.from({ length: size }, () => coalescer.reserve(request(1))));
      await tick();
    }
    return Promise.all(all);
  }

  it('lets requests gather while they keep arriving, then sends them in one call', async () => {
    const { store, batches } = soldOutStore();
    const coalescer = new HoldCoalescer(store, { maxBatch: 256, soldOutWindowMs: 60_000 });
    await coalescer.reserve(request(1)); // learns "0 left"
    await waves(coalescer, 8, 10);
    expect(batches).toEqual([1, 80]);
  });

  it('sends the gathered requests on the first turn that brings no new one', async () => {
    const { store, batches } = soldOutStore();
    const coalescer = new HoldCoalescer(store, { maxBatch: 256, soldOutWindowMs: 60_000 });
    await coalescer.reserve(request(1));
    await waves(coalescer, 1, 5);
    await tick();
    await waves(coalescer, 1, 5);
    expect(batches).toEqual([1, 5, 5]);
  });

  it('never gathers more than maxBatch', async () => {
    const { store, batches } = soldOutStore();
    const coalescer = new HoldCoalescer(store, { maxBatch: 16, soldOutWindowMs: 60_000 });
    await coalescer.reserve(request(1));
    await waves(coalescer, 6, 10);
    expect(batches[0]).toBe(1);
    expect(Math.max(...batches)).toBeLessThanOrEqual(16);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(61);
  });

  it('sends at the end of the window even while requests keep arriving', async () => {
    const { store, batches } = soldOutStore();
    const coalescer = new HoldCoalescer(store, { maxBatch: 100_000, soldOutWindowMs: 5 });
    await coalescer.reserve(request(1));
    const deadline = performance.now() + 60;
    const all: Promise<unknown>[] = [];
    while (performance.now() < deadline) {
      all.push(coalescer.reserve(request(1)));
      await tick();
    }
    await Promise.all(all);
    // 60 ms of arrivals in windows of 5 ms: several calls, not one.
    expect(batches.length).toBeGreaterThan(3);
  });

  it('stops gathering at once when told stock came back (a release)', async () => {
    const { store, batches } = soldOutStore();
    const coalescer = new HoldCoalescer(store, { maxBatch: 256, soldOutWindowMs: 60_000 });
    await coalescer.reserve(request(1));
    coalescer.stockReturned(1);
    await waves(coalescer, 3, 4);
    // The first wave goes at once; its answer (still 0 left here) makes the rest gather again.
    // Without the call all three waves gather into one batch: [1, 12].
    expect(batches).toEqual([1, 4, 8]);
  });

  it('learns each product of a mixed batch on its own: the sold-out one gathers, the other goes at once', async () => {
    const batches: number[][] = [];
    const store = {
      async reserveHolds(requests: readonly ReserveRequest[]) {
        batches.push(requests.map((r) => r.productId));
        // Product 1 is sold out; product 2 has stock.
        return requests.map((r) =>
          r.productId === 1
            ? { kind: 'done' as const, outcome: { kind: 'refused' as const, code: 'insufficient_stock' as const, stockLeft: 0 } }
            : { kind: 'done' as const, outcome: { kind: 'held' as const, stockLeft: 999, hold: { id: 1, productId: r.productId, qty: r.qty, status: 'active' as const, tokenHash: '', createdAt: 0, expiresAt: 0 } } },
        );
      },
    } as unknown as FlashSaleStore;
    const coalescer = new HoldCoalescer(store, { maxBatch: 256, soldOutWindowMs: 60_000 });
    await Promise.all([coalescer.reserve(request(1, 1)), coalescer.reserve(request(1, 2))]);
    const all: Promise<unknown>[] = [];
    for (let wave = 0; wave < 3; wave++) {
      all.push(coalescer.reserve(request(1, 1)), coalescer.reserve(request(1, 2)));
      await tick();
    }
    await Promise.all(all);
    // Product 2 goes with each wave; product 1's requests gather across the waves into one call.
    expect(batches[0]).toEqual([1, 2]);
    expect(batches.slice(1).filter((b) => b.includes(2))).toEqual([[2], [2], [2]]);
    expect(batches.slice(1).filter((b) => b.includes(1))).toEqual([[1, 1, 1]]);
  });

  it('does not gather for a product that has stock', async () => {
    const batches: number[] = [];
    const store = {
      async reserveHolds(requests: readonly ReserveRequest[]) {
        batches.push(requests.length);
        return requests.map((r) => ({ kind: 'done' as const, outcome: { kind: 'held' as const, stockLeft: 999, hold: { id: 1, productId: r.productId, qty: r.qty, status: 'active' as const, tokenHash: '', createdAt: 0, expiresAt: 0 } } }));
      },
    } as unknown as FlashSaleStore;
    const coalescer = new HoldCoalescer(store, { maxBatch: 256, soldOutWindowMs: 60_000 });
    await coalescer.reserve(request(1));
    await waves(coalescer, 3, 4);
    expect(batches).toEqual([1, 4, 4, 4]);
  });
});

describe('HoldCoalescer when storage is down', () => {
  it('fails the requests queued behind a batch that found storage unavailable, without another store call', async () => {
    let calls = 0;
    let fail: ((error: unknown) => void) | undefined;
    const store = {
      reserveHolds: () => {
        calls++;
        return new Promise((_, reject) => (fail = reject));
      },
    } as unknown as FlashSaleStore;
    const coalescer = new HoldCoalescer(store, { maxBatch: 10, soldOutWindowMs: 10 });
    const first = coalescer.reserve(request(1));
    await tick();
    const queued = [1, 1, 1].map((qty) => coalescer.reserve(request(qty)));
    fail!(flashSaleError('storage_unavailable'));
    const results = await Promise.allSettled([first, ...queued]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'))).toEqual(Array(4).fill('storage_unavailable'));
    expect(calls).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { flashSaleError, HoldCoalescer, type FlashSaleStore, type ReserveRequest } from '../src/index.js';

/** A store double that records each batch and grants first-fit from a stock counter. */
function recordingStore(stock: number, options: { failBatch?: number } = {}) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  const store = {
    async reserveHolds(requests: readonly ReserveRequest[]) {
      batches.push(requests.map((r) => r.qty));
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
  return { store, batches, release: () => release?.() };
}

const request = (qty: number, productId = 1): ReserveRequest => ({ productId, qty, tokenHash: 'h', createdAt: 0, expiresAt: 1 });
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('HoldCoalescer', () => {
  it('sends a lone request alone, then batches what queued behind it in arrival order', async () => {
    const { store, batches, release } = recordingStore(10);
    const coalescer = new HoldCoalescer(store, 100);
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
    const coalescer = new HoldCoalescer(store, 2);
    const first = coalescer.reserve(request(1));
    await tick();
    const queued = [1, 1, 1, 1, 1].map((qty) => coalescer.reserve(request(qty)));
    release();
    await Promise.all([first, ...queued]);
    expect(batches.map((b) => b.length)).toEqual([1, 2, 2, 1]);
  });

  it('keeps products apart: another product does not wait behind a busy one', async () => {
    const { store, batches, release } = recordingStore(100);
    const coalescer = new HoldCoalescer(store, 10);
    const hot = coalescer.reserve(request(1, 1));
    await tick();
    const other = coalescer.reserve(request(1, 2));
    await tick();
    expect(batches).toEqual([[1], [1]]);
    release();
    await Promise.all([hot, other]);
  });

  it('rejects every request of a batch that fails as a whole with the real error', async () => {
    const { store, release } = recordingStore(100, { failBatch: 2 });
    const coalescer = new HoldCoalescer(store, 10);
    const first = coalescer.reserve(request(1));
    await tick();
    const queued = [1, 1, 1].map((qty) => coalescer.reserve(request(qty)));
    release();
    await expect(first).resolves.toMatchObject({ kind: 'done' });
    const results = await Promise.allSettled(queued);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok'))).toEqual(['disk full', 'disk full', 'disk full']);
  });
});

describe('HoldCoalescer early answers', () => {
  const refused = { kind: 'done' as const, outcome: { kind: 'refused' as const, code: 'insufficient_stock' as const } };

  it('settles a queued request from its early answer, asked when its batch is formed, and sends the rest in order', async () => {
    const { store, batches, release } = recordingStore(10);
    const coalescer = new HoldCoalescer(store, 100);
    let soldOut = false;
    const first = coalescer.reserve(request(1));
    await tick();
    const early = () => (soldOut ? refused : undefined);
    const queued = [coalescer.reserve(request(2), early), coalescer.reserve(request(3)), coalescer.reserve(request(4), early)];
    soldOut = true; // learned while the first batch was in flight
    release();
    const outcomes = await Promise.all([first, ...queued]);
    expect(batches).toEqual([[1], [3]]);
    expect(outcomes.map((o) => (o.kind === 'done' ? o.outcome.kind : o.kind))).toEqual(['held', 'refused', 'held', 'refused']);
  });

  it('lets the answers of a batch reach their callers before it forms the next one', async () => {
    const { store, batches, release } = recordingStore(1);
    const coalescer = new HoldCoalescer(store, 100);
    let soldOut = false;
    // What the engine does: the caller of the batch ahead learns "0 left" when its answer arrives.
    const first = coalescer.reserve(request(1)).then((outcome) => {
      soldOut = true;
      return outcome;
    });
    await tick();
    const queued = Array.from({ length: 50 }, () => coalescer.reserve(request(1), () => (soldOut ? refused : undefined)));
    release();
    await Promise.all([first, ...queued]);
    expect(batches).toEqual([[1]]);
  });

  it('keeps the batch bound for the requests it sends, however many it answers early', async () => {
    const { store, batches, release } = recordingStore(100);
    const coalescer = new HoldCoalescer(store, 2);
    const first = coalescer.reserve(request(1));
    await tick();
    const answered = () => refused;
    const queued = [
      coalescer.reserve(request(1), answered),
      coalescer.reserve(request(1)),
      coalescer.reserve(request(1), answered),
      coalescer.reserve(request(1)),
      coalescer.reserve(request(1)),
    ];
    release();
    await Promise.all([first, ...queued]);
    expect(batches.map((b) => b.length)).toEqual([1, 2, 1]);
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
    const coalescer = new HoldCoalescer(store, 10);
    const first = coalescer.reserve(request(1));
    await tick();
    const queued = [1, 1, 1].map((qty) => coalescer.reserve(request(qty)));
    fail!(flashSaleError('storage_unavailable'));
    const results = await Promise.allSettled([first, ...queued]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok'))).toEqual(Array(4).fill('storage_unavailable'));
    expect(calls).toBe(1);
  });
});

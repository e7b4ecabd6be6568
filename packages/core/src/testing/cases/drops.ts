import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FlashSale } from '../../api.js';
import { createFlashSale } from '../../engine.js';
import { FlashSaleError } from '../../errors.js';
import type { FlashSaleEvent } from '../../events.js';
import type { FlashSaleStore, ReserveOutcome, ReserveRequest } from '../../store.js';
import { codes, settle } from '../harness.js';
import type { ManualClock } from '../manual-clock.js';
import { newKey } from './flow.js';
import type { Setup } from './setup.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const batches = (events: FlashSaleEvent[]) => events.flatMap((e) => (e.type === 'reserve_batch' ? [e.size] : []));
const codeOf = (attempt: { ok: boolean; code?: string }) => (attempt.ok ? 'held' : attempt.code);

/** A product with a window and a limit, the instants given as offsets from the clock's now. */
async function dropProduct(sale: FlashSale, clock: ManualClock, drop: { stock: number; startsIn?: number; endsIn?: number; maxPerBuyer?: number }): Promise<number> {
  const product = await sale.createProduct({
    name: 'Drop',
    price: '10.00',
    stock: drop.stock,
    ...(drop.startsIn === undefined ? {} : { saleStartsAt: clock() + drop.startsIn }),
    ...(drop.endsIn === undefined ? {} : { saleEndsAt: clock() + drop.endsIn }),
    ...(drop.maxPerBuyer === undefined ? {} : { maxPerBuyer: drop.maxPerBuyer }),
  });
  return product.id;
}

/**
 * Drops: a sale window and a per-buyer limit, decided by the store atomically with the stock
 * take, from the product row and the buyer's rows read in the same unit.
 */
export function dropCases(setup: Setup, connectAgain?: (store: FlashSaleStore) => Promise<FlashSaleStore>): void {
  describe('drops: the sale window', () => {
    it('keeps the window and the limit on the product, and its sale status follows the clock', async () => {
      const { sale, clock } = await setup();
      const startsAt = clock() + 1_000;
      const created = await sale.createProduct({ name: 'Sneaker', price: '99.99', stock: 5, saleStartsAt: new Date(startsAt), saleEndsAt: startsAt + 1_000, maxPerBuyer: 2 });
      expect(created).toMatchObject({ saleStartsAt: startsAt, saleEndsAt: startsAt + 1_000, maxPerBuyer: 2, saleStatus: 'scheduled' });
      expect(await sale.getProduct(created.id)).toEqual(created);
      clock.advance(1_000);
      expect((await sale.getProduct(created.id)).saleStatus).toBe('live');
      clock.advance(1_000);
      expect((await sale.getProduct(created.id)).saleStatus).toBe('ended');
      const plain = await sale.createProduct({ name: 'Plain', price: '1.00', stock: 1 });
      expect(plain).toMatchObject({ saleStartsAt: null, saleEndsAt: null, maxPerBuyer: null, saleStatus: 'live' });
    });

    it('refuses a hold before the opening, saying when it opens, takes nothing, and grants from the start instant', async () => {
      const { sale, clock } = await setup();
      const id = await dropProduct(sale, clock, { stock: 3, startsIn: 1_500 });
      const startsAt = clock() + 1_500;
      expect(await sale.tryCreateHold({ productId: id, qty: 1 })).toEqual({
        ok: false,
        code: 'sale_not_started',
        message: expect.any(String),
        replayed: false,
        startsAt,
        retryAfterMs: 1_500,
      });
      const thrown = await sale.createHold({ productId: id, qty: 1 }).catch((e: unknown) => e);
      expect(FlashSaleError.is(thrown, 'sale_not_started')).toBe(true);
      expect((thrown as FlashSaleError).details).toEqual({ startsAt, retryAfterMs: 1_500 });
      clock.advance(1_499);
      expect(await sale.tryCreateHold({ productId: id, qty: 1 })).toMatchObject({ code: 'sale_not_started', retryAfterMs: 1 });
      expect((await sale.getProduct(id)).availableStock).toBe(3);
      clock.advance(1);
      await expect(sale.createHold({ productId: id, qty: 3 })).resolves.toMatchObject({ qty: 3 });
    });

    it('refuses every hold from the end instant on, and takes nothing', async () => {
      const { sale, clock } = await setup();
      const id = await dropProduct(sale, clock, { stock: 3, endsIn: 1_000 });
      clock.advance(999);
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      clock.advance(1);
      expect(await sale.tryCreateHold({ productId: id, qty: 1 })).toMatchObject({ ok: false, code: 'sale_ended' });
      expect((await sale.getProduct(id)).availableStock).toBe(2);
    });

    it('judges each request of one batch at its own arrival, across the opening', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, clock } = await setup({ onEvent: (e) => events.push(e) });
      const id = await dropProduct(sale, clock, { stock: 5, startsIn: 1 });
      events.length = 0;
      const early = sale.tryCreateHold({ productId: id, qty: 1 });
      clock.advance(1);
      const onTime = sale.tryCreateHold({ productId: id, qty: 1 });
      expect((await Promise.all([early, onTime])).map(codeOf)).toEqual(['sale_not_started', 'held']);
      expect(batches(events)).toEqual([2]);
    });

    it('lets a stampede before the opening gather into one store call, and grants the first request at the opening', async () => {
      const events: FlashSaleEvent[] = [];
      // A lane closed by its window waits out the window or maxBatch: 201 here, the count sent.
      const { sale, clock } = await setup({ soldOutWindowMs: 60_000, maxBatch: 201, onEvent: (e) => events.push(e) });
      const id = await dropProduct(sale, clock, { stock: 5, startsIn: 10_000 });
      expect(await sale.tryCreateHold({ productId: id, qty: 1 })).toMatchObject({ code: 'sale_not_started' });
      events.length = 0;
      const waves: Promise<{ ok: boolean; code?: string }>[] = [];
      for (let wave = 0; wave < 10; wave++) {
        waves.push(...Array.from({ length: 20 }, () => sale.tryCreateHold({ productId: id, qty: 1 })));
        // Quiet turns between waves do not end the gathering before the opening.
        await nextTurn();
        await nextTurn();
      }
      // The opening comes while the lane still gathers: the request made at it joins the same call.
      clock.advance(10_000);
      const atOpening = sale.tryCreateHold({ productId: id, qty: 1 });
      const answers = await Promise.all([...waves, atOpening]);
      expect(answers.map(codeOf)).toEqual([...Array(200).fill('sale_not_started'), 'held']);
      expect(batches(events)).toEqual([201]);
    });

    it('sees at once a window another engine on the same store sets, moves or clears', async () => {
      const { sale, store, clock } = await setup();
      const otherProcess = createFlashSale({ store, clock });
      const id = (await sale.createProduct({ name: 'Drop', price: '5.00', stock: 10 })).id;
      await expect(sale.createHold({ productId: id, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      await otherProcess.updateProduct({ productId: id, saleStartsAt: clock() + 60_000 });
      expect(await sale.tryCreateHold({ productId: id, qty: 1 })).toMatchObject({ code: 'sale_not_started' });
      await otherProcess.updateProduct({ productId: id, saleStartsAt: null, saleEndsAt: clock() });
      expect(await sale.tryCreateHold({ productId: id, qty: 1 })).toMatchObject({ code: 'sale_ended' });
      await otherProcess.updateProduct({ productId: id, saleEndsAt: null, maxPerBuyer: 1 });
      expect(await sale.tryCreateHold({ productId: id, qty: 1 })).toMatchObject({ code: 'buyer_required' });
      await expect(sale.createHold({ productId: id, qty: 1, buyerId: 'ann' })).resolves.toMatchObject({ qty: 1 });
    });
  });

  describe('drops: changing a product', () => {
    it('changes any subset of name, price, window and limit; null clears; the rest stays', async () => {
      const { sale, clock } = await setup();
      const now = clock();
      const { id } = await sale.createProduct({ name: 'Old', price: '1.00', stock: 4, saleStartsAt: now + 1_000, maxPerBuyer: 3 });
      expect(await sale.updateProduct({ productId: id, name: 'New', price: '2.50' })).toMatchObject({ name: 'New', priceCents: 250, price: '2.50', saleStartsAt: now + 1_000, maxPerBuyer: 3 });
      expect(await sale.updateProduct({ productId: id, saleEndsAt: now + 5_000, maxPerBuyer: null })).toMatchObject({ saleStartsAt: now + 1_000, saleEndsAt: now + 5_000, maxPerBuyer: null });
      expect(await sale.updateProduct({ productId: id, saleStartsAt: null })).toMatchObject({ saleStartsAt: null, saleEndsAt: now + 5_000, saleStatus: 'live', availableStock: 4 });
      expect(await sale.getProduct(id)).toMatchObject({ name: 'New', priceCents: 250, saleStartsAt: null, saleEndsAt: now + 5_000, maxPerBuyer: null });
    });

    it('refuses a window that would end at or before its start, merged with the stored values, and changes nothing', async () => {
      const { sale, clock } = await setup();
      const now = clock();
      await expect(sale.createProduct({ name: 'Bad', price: '1.00', stock: 1, saleStartsAt: now, saleEndsAt: now })).rejects.toMatchObject({ code: 'invalid_sale_window' });
      const { id } = await sale.createProduct({ name: 'Drop', price: '1.00', stock: 1, saleStartsAt: now + 1_000, saleEndsAt: now + 2_000 });
      const before = await sale.getProduct(id);
      await expect(sale.updateProduct({ productId: id, saleEndsAt: now + 1_000 })).rejects.toMatchObject({ code: 'invalid_sale_window' });
      await expect(sale.updateProduct({ productId: id, saleStartsAt: now + 2_000, name: 'Renamed' })).rejects.toMatchObject({ code: 'invalid_sale_window' });
      expect(await sale.getProduct(id)).toEqual(before);
      await expect(sale.updateProduct({ productId: id, saleStartsAt: now + 1_500 })).resolves.toMatchObject({ saleStartsAt: now + 1_500, saleEndsAt: now + 2_000 });
    });

    it('refuses an unknown product and invalid values', async () => {
      const { sale, product } = await setup();
      const id = await product(1);
      await expect(sale.updateProduct({ productId: 4242, name: 'x' })).rejects.toMatchObject({ code: 'product_not_found' });
      for (const bad of [{ maxPerBuyer: 0 }, { maxPerBuyer: 1.5 }, { saleStartsAt: -1 }, { saleStartsAt: new Date(Number.NaN) }, { name: '' }]) {
        await expect(sale.updateProduct({ productId: id, ...bad })).rejects.toMatchObject({ code: 'invalid_input' });
      }
    });

    it('merges two changes made at once one after the other, never both against the old row', async () => {
      const { sale, clock } = await setup();
      const now = clock();
      const { id } = await sale.createProduct({ name: 'Drop', price: '1.00', stock: 1, saleStartsAt: now + 1_000, saleEndsAt: now + 2_000 });
      // Each alone fits the stored window; together the start would come after the end.
      const results = await Promise.allSettled([sale.updateProduct({ productId: id, saleStartsAt: now + 1_800 }), sale.updateProduct({ productId: id, saleEndsAt: now + 1_500 })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(codes(results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])))).toEqual(['invalid_sale_window']);
      const { saleStartsAt, saleEndsAt } = await sale.getProduct(id);
      expect(saleEndsAt! > saleStartsAt!).toBe(true);
    });
  });

  describe('drops: the per-buyer limit', () => {
    it('needs a buyer for a limited product only', async () => {
      const { sale, clock, product } = await setup();
      const limited = await dropProduct(sale, clock, { stock: 5, maxPerBuyer: 2 });
      expect(await sale.tryCreateHold({ productId: limited, qty: 1 })).toMatchObject({ ok: false, code: 'buyer_required' });
      const plain = await product(5);
      await expect(sale.createHold({ productId: plain, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      await expect(sale.createHold({ productId: plain, qty: 1, buyerId: 'ann' })).resolves.toMatchObject({ qty: 1 });
      expect((await sale.getProduct(limited)).availableStock).toBe(5);
    });

    it("counts the buyer's units, says the limit and what remains, and leaves other buyers alone", async () => {
      const { sale, clock } = await setup();
      const id = await dropProduct(sale, clock, { stock: 10, maxPerBuyer: 3 });
      await sale.createHold({ productId: id, qty: 2, buyerId: 'ann' });
      expect(await sale.tryCreateHold({ productId: id, qty: 2, buyerId: 'ann' })).toEqual({ ok: false, code: 'buyer_limit_exceeded', message: expect.any(String), replayed: false, limit: 3, remaining: 1 });
      const thrown = await sale.createHold({ productId: id, qty: 5, buyerId: 'ann' }).catch((e: unknown) => e);
      expect((thrown as FlashSaleError).details).toEqual({ limit: 3, remaining: 1 });
      await expect(sale.createHold({ productId: id, qty: 1, buyerId: 'ann' })).resolves.toMatchObject({ qty: 1 });
      expect(await sale.tryCreateHold({ productId: id, qty: 1, buyerId: 'ann' })).toMatchObject({ code: 'buyer_limit_exceeded', remaining: 0 });
      await expect(sale.createHold({ productId: id, qty: 3, buyerId: 'Ann' })).resolves.toMatchObject({ qty: 3 });
      expect((await sale.getProduct(id)).availableStock).toBe(4);
    });

    it('counts pending and completed orders, and stops counting units that came back: expired, failed, unpaid', async () => {
      const { sale, clock } = await setup({ holdTtlMs: 1_000, paymentTtlMs: 5_000 });
      const id = await dropProduct(sale, clock, { stock: 20, maxPerBuyer: 2 });
      const ann = { productId: id, buyerId: 'ann' };
      const refusedNow = async () => expect(await sale.tryCreateHold({ ...ann, qty: 1 })).toMatchObject({ code: 'buyer_limit_exceeded' });
      const order = async (qty: number) => {
        const hold = await sale.createHold({ ...ann, qty });
        return sale.createOrder({ holdId: hold.holdId, token: hold.token });
      };

      const paid = await order(1);
      await sale.createHold({ ...ann, qty: 1 });
      await refusedNow();
      await sale.applyPayment({ orderId: paid.orderId, status: 'success', idempotencyKey: newKey() });
      await refusedNow();
      clock.advance(1_000);
      await refusedNow(); // past its expiry, the hold's stock is not back until a pass returns it
      await sale.releaseExpired();
      const failed = await order(1);
      await refusedNow();
      await sale.applyPayment({ orderId: failed.orderId, status: 'failed', idempotencyKey: newKey() });
      await order(1);
      await refusedNow();
      clock.advance(5_000);
      await sale.releaseExpired();
      await expect(sale.createHold({ ...ann, qty: 1 })).resolves.toMatchObject({ qty: 1 });
      await refusedNow();
    });

    it('refuses in order: the window, then a missing buyer, then the limit, then the stock', async () => {
      const { sale, clock } = await setup();
      const id = await dropProduct(sale, clock, { stock: 1, startsIn: 1_000, endsIn: 2_000, maxPerBuyer: 2 });
      const ask = (qty: number, buyerId?: string) => sale.tryCreateHold({ productId: id, qty, ...(buyerId === undefined ? {} : { buyerId }) }).then(codeOf);
      expect(await ask(9)).toBe('sale_not_started');
      clock.advance(1_000);
      expect(await ask(9)).toBe('buyer_required');
      expect(await ask(3, 'ann')).toBe('buyer_limit_exceeded');
      expect(await ask(2, 'ann')).toBe('insufficient_stock');
      clock.advance(1_000);
      expect(await ask(9)).toBe('sale_ended');
      expect(await sale.tryCreateHold({ productId: 4242, qty: 1, buyerId: 'ann' })).toMatchObject({ code: 'product_not_found' });
    });

    it('never lets 200 concurrent one-unit holds of one buyer pass a limit of 2, keyed or not', async () => {
      const { sale, clock } = await setup();
      for (const keyed of [false, true]) {
        const id = await dropProduct(sale, clock, { stock: 100, maxPerBuyer: 2 });
        const { ok, errors } = await settle(Array.from({ length: 200 }, () => sale.createHold({ productId: id, qty: 1, buyerId: 'scalper', ...(keyed ? { idempotencyKey: newKey() } : {}) })));
        expect(ok).toHaveLength(2);
        expect(codes(errors)).toEqual(Array(198).fill('buyer_limit_exceeded'));
        expect((await sale.getProduct(id)).availableStock).toBe(98);
      }
    });

    if (connectAgain) it('never lets one buyer pass the limit from two engines on separate connections', async () => {
      const { sale, store, clock } = await setup();
      const id = await dropProduct(sale, clock, { stock: 100, maxPerBuyer: 2 });
      const other = await connectAgain!(store);
      const otherSale = createFlashSale({ store: other, clock });
      try {
        const { ok, errors } = await settle(Array.from({ length: 200 }, (_, i) => (i % 2 ? otherSale : sale).createHold({ productId: id, qty: 1, buyerId: 'scalper' })));
        expect(ok).toHaveLength(2);
        expect(codes(errors)).toEqual(Array(198).fill('buyer_limit_exceeded'));
        expect((await sale.getProduct(id)).availableStock).toBe(98);
      } finally {
        await other.close();
      }
    });

    it('makes the buyer part of what a key stands for, and does not remember a refusal for the limit', async () => {
      const { sale, clock } = await setup({ holdTtlMs: 1_000 });
      const id = await dropProduct(sale, clock, { stock: 10, maxPerBuyer: 1 });
      const first = await sale.createHold({ productId: id, qty: 1, buyerId: 'ann', idempotencyKey: 'drop-key' });
      await expect(sale.createHold({ productId: id, qty: 1, buyerId: 'bob', idempotencyKey: 'drop-key' })).rejects.toMatchObject({ code: 'idempotency_key_reuse' });
      await expect(sale.createHold({ productId: id, qty: 1, buyerId: 'ann', idempotencyKey: 'drop-key' })).resolves.toEqual({ ...first, replayed: true });
      await expect(sale.createHold({ productId: id, qty: 1, buyerId: 'ann', idempotencyKey: 'retry-key' })).rejects.toMatchObject({ code: 'buyer_limit_exceeded', replayed: false });
      clock.advance(1_000);
      await sale.releaseExpired();
      await expect(sale.createHold({ productId: id, qty: 1, buyerId: 'ann', idempotencyKey: 'retry-key' })).resolves.toMatchObject({ qty: 1, replayed: false });
    });

    it('takes a buyer id of 1 to 128 characters without control characters, exactly as sent', async () => {
      const { sale, clock } = await setup();
      const id = await dropProduct(sale, clock, { stock: 10, maxPerBuyer: 1 });
      for (const bad of ['', 'x'.repeat(129), 'tab\there', 'bell\u0007', 'del\u007f', 'c1\u0085', 'lone \ud800']) {
        await expect(sale.createHold({ productId: id, qty: 1, buyerId: bad })).rejects.toMatchObject({ code: 'invalid_input' });
      }
      for (const good of ['x'.repeat(128), 'ann@example.com', 'Zoë 🎟️', 'zoe\u0308']) {
        await expect(sale.createHold({ productId: id, qty: 1, buyerId: good })).resolves.toMatchObject({ qty: 1 });
      }
      // The same person written another way is another buyer id: ids are compared exactly.
      expect((await sale.getProduct(id)).availableStock).toBe(6);
    });
  });

  describe('drops: reserveHolds batches (the port)', () => {
    it('plans windows, buyers and limits exactly as serving the requests one by one, in arrival order', async () => {
      const { store } = await setup();
      const T = 1_000_000;
      let run = 0;
      const productArb = fc
        .record({
          stock: fc.integer({ min: 0, max: 12 }),
          start: fc.constantFrom(null, T, T + 1),
          end: fc.constantFrom(null, T + 1, T + 2),
          max: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null, freq: 2 }),
        })
        .filter((p) => p.start === null || p.end === null || p.end > p.start);
      const askArb = fc.record({
        product: fc.integer({ min: 0, max: 2 }), // 2 = a product that does not exist
        qty: fc.integer({ min: 1, max: 4 }),
        buyer: fc.constantFrom(undefined, 'a', 'b', 'c'),
        at: fc.constantFrom(T - 1, T, T + 1, T + 2),
        keyed: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(productArb, { minLength: 2, maxLength: 2 }),
          fc.array(fc.record({ product: fc.integer({ min: 0, max: 1 }), qty: fc.integer({ min: 1, max: 3 }), buyer: fc.constantFrom('a', 'b', 'c') }), { maxLength: 4 }),
          fc.array(askArb, { minLength: 1, maxLength: 30 }),
          // 'lane': one product, no keys; 'many': several products, no keys (what the coalescer
          // sends for a stampede over one product or many: the PostgreSQL functions' paths);
          // 'keyed': several products, some requests keyed.
          fc.constantFrom('lane' as const, 'many' as const, 'keyed' as const),
          async (shapes, earlier, asks, mode) => {
            run += 1;
            const ids: number[] = [];
            for (const p of shapes) {
              const created = await store.createProduct({ name: `d${run}`, priceCents: 100, stock: p.stock });
              ids.push(created.id);
            }
            ids.push(2 ** 40 + run);
            // Units held before the batch, then the window and limit set on top of them.
            const toRequest = (ask: { product: number; qty: number; buyer?: string | undefined; at: number; keyed?: boolean }, i: number): ReserveRequest => ({
              productId: ids[ask.product]!,
              qty: ask.qty,
              tokenHash: `${run}-${i}`.padEnd(64, '0'),
              createdAt: ask.at,
              expiresAt: T + 1_000_000,
              ...(ask.buyer === undefined ? {} : { buyerId: ask.buyer }),
              ...(ask.keyed && mode === 'keyed' ? { idempotency: { scope: 'hold' as const, keyHash: `drop-${run}-${i}`, fingerprint: `fp-${i}` } } : {}),
            });
            const before = await store.reserveHolds(earlier.map((e, i) => toRequest({ ...e, at: T + 1 }, i + 1_000)));
            const left = shapes.map((p) => p.stock);
            const units = new Map<string, number>();
            earlier.forEach((e, i) => {
              const r = before[i]!;
              if (r.kind !== 'done' || r.outcome.kind !== 'held') return;
              left[e.product]! -= e.qty;
              units.set(`${e.product}:${e.buyer}`, (units.get(`${e.product}:${e.buyer}`) ?? 0) + e.qty);
            });
            for (const [i, p] of shapes.entries()) {
              const outcome = await store.updateProduct({ productId: ids[i]!, changes: { saleStartsAt: p.start, saleEndsAt: p.end, maxPerBuyer: p.max } });
              expect(outcome.kind).toBe('updated');
            }
            const sent = mode === 'lane' ? asks.map((a) => ({ ...a, product: 0 })) : asks;

            const expected = sent.map((ask): ReserveOutcome['kind'] | string => {
              const p = shapes[ask.product];
              if (!p) return 'product_not_found';
              if (p.start !== null && ask.at < p.start) return 'sale_not_started';
              if (p.end !== null && ask.at >= p.end) return 'sale_ended';
              const key = `${ask.product}:${ask.buyer}`;
              if (p.max !== null && ask.buyer === undefined) return 'buyer_required';
              if (p.max !== null && (units.get(key) ?? 0) + ask.qty > p.max) return `buyer_limit_exceeded:${Math.max(0, p.max - (units.get(key) ?? 0))}`;
              if (left[ask.product]! < ask.qty) return `insufficient_stock:${left[ask.product]}`;
              left[ask.product]! -= ask.qty;
              if (p.max !== null) units.set(key, (units.get(key) ?? 0) + ask.qty);
              return `held:${left[ask.product]}`;
            });
            const results = await store.reserveHolds(sent.map((a, i) => toRequest(a, i)));
            const actual = results.map((r, i) => {
              if (r.kind !== 'done') return 'replay';
              const o = r.outcome;
              if (o.kind === 'held') return `held:${o.stockLeft}`;
              if (o.code === 'insufficient_stock') return `insufficient_stock:${o.stockLeft}`;
              if (o.code === 'buyer_limit_exceeded') return o.limit === shapes[sent[i]!.product]!.max ? `buyer_limit_exceeded:${o.remaining}` : 'buyer_limit_exceeded with the wrong limit';
              if (o.code === 'sale_not_started') return o.startsAt === shapes[sent[i]!.product]!.start ? 'sale_not_started' : 'sale_not_started at the wrong instant';
              return o.code;
            });
            expect(actual).toEqual(expected);
            for (const [i, id] of ids.slice(0, 2).entries()) expect((await store.getProduct(id))!.availableStock).toBe(left[i]);
          },
        ),
        { numRuns: 40 },
      );
    });
  });
}

import { describe, expect, it } from 'vitest';
import type { FlashSale, HoldCreated } from '../../api.js';
import { createFlashSale } from '../../engine.js';
import type { FlashSaleEvent } from '../../events.js';
import type { FlashSaleStore } from '../../store.js';
import { codes, settle } from '../harness.js';
import { manualClock } from '../manual-clock.js';
import type { Setup } from './setup.js';

const TTL = 60_000;
const HOLDS = 40;

/** How a request ended: its success, or its refusal code. */
async function outcome<T>(work: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, code: String((error as { code?: unknown }).code) };
  }
}

/**
 * Races of the buyer's side of a hold against everything else that may act on it. Each is run
 * with every request at once; the checks hold whichever side wins each race.
 */
export function holdLifecycleRaceCases(setup: Setup, connectAgain?: (store: FlashSaleStore) => Promise<FlashSaleStore>): void {
  describe('hold lifecycle: races', () => {
    it(`release against an order on the same hold, ${HOLDS} holds at once: exactly one of the two wins each`, async () => {
      const { sale, product } = await setup();
      const id = await product(HOLDS * 2);
      const holds: HoldCreated[] = [];
      for (let i = 0; i < HOLDS; i++) holds.push(await sale.createHold({ productId: id, qty: 2 }));
      const races = await Promise.all(
        holds.map((hold) => Promise.all([outcome(sale.releaseHold({ holdId: hold.holdId, token: hold.token })), outcome(sale.createOrder({ holdId: hold.holdId, token: hold.token }))])),
      );
      const released = races.filter(([release]) => release.ok).length;
      const ordered = races.filter(([, order]) => order.ok).length;
      expect(released + ordered).toBe(HOLDS);
      for (const [release, order] of races) {
        expect(release.ok !== order.ok).toBe(true);
        if (release.ok && !order.ok) expect(order.code).toBe('hold_released');
        if (order.ok && !release.ok) expect(release.code).toBe('hold_used');
      }
      expect((await sale.getProduct(id)).availableStock).toBe(HOLDS * 2 - ordered * 2);
      for (const [i, [release]] of races.entries()) {
        const hold = holds[i]!;
        expect((await sale.getHold({ holdId: hold.holdId, token: hold.token })).status).toBe(release.ok ? 'released' : 'converted');
      }
    });

    it('30 releases of one hold at once: all answer released, the stock comes back once', async () => {
      const events: FlashSaleEvent[] = [];
      const { sale, product } = await setup({ onEvent: (event) => events.push(event) });
      const id = await product(10);
      const hold = await sale.createHold({ productId: id, qty: 3 });
      const { ok, errors } = await settle(Array.from({ length: 30 }, () => sale.releaseHold({ holdId: hold.holdId, token: hold.token })));
      expect(codes(errors)).toEqual([]);
      expect(ok.filter((r) => r.effect === 'released')).toHaveLength(1);
      expect(ok.every((r) => r.status === 'released' && r.qty === 3)).toBe(true);
      expect((await sale.getProduct(id)).availableStock).toBe(10);
      expect(events.filter((e) => e.type === 'stock_released')).toEqual([{ type: 'stock_released', cause: 'released', units: 3 }]);
    });

    const releaseAgainstPasses = async (other: (sale: FlashSale, store: FlashSaleStore, clock: () => number) => Promise<{ pass: FlashSale; done(): Promise<void> }>) => {
      const { sale, store, product, clock } = await setup({ holdTtlMs: TTL });
      const id = await product(HOLDS);
      const holds: HoldCreated[] = [];
      for (let i = 0; i < HOLDS; i++) holds.push(await sale.createHold({ productId: id, qty: 1 }));
      // The buyer's clock is 1 ms before the expiry, the pass's at it: both may act, one first.
      clock.advance(TTL - 1);
      const passClock = manualClock(clock() + 1);
      const { pass, done } = await other(sale, store, passClock);
      try {
        const [releases, passes] = await Promise.all([
          Promise.all(holds.map((hold) => outcome(sale.releaseHold({ holdId: hold.holdId, token: hold.token })))),
          Promise.all([pass.releaseExpired(), pass.releaseExpired(), pass.releaseExpired()]),
        ]);
        const released = releases.filter((r) => r.ok).length;
        const expired = passes.reduce((sum, p) => sum + p.holds, 0);
        expect(released + expired).toBe(HOLDS);
        expect(releases.flatMap((r) => (r.ok ? [] : [r.code])).every((code) => code === 'hold_expired')).toBe(true);
        expect((await sale.getProduct(id)).availableStock).toBe(HOLDS);
        for (const [i, release] of releases.entries()) {
          const hold = holds[i]!;
          expect((await sale.getHold({ holdId: hold.holdId, token: hold.token })).status).toBe(release.ok ? 'released' : 'expired');
        }
      } finally {
        await done();
      }
    };

    it(`release against expiry passes, ${HOLDS} holds at their expiry: each one's stock comes back once`, () =>
      releaseAgainstPasses(async (_sale, store, clock) => ({ pass: createFlashSale({ store, clock, holdTtlMs: TTL, releaseBatch: 7 }), done: async () => {} })));

    const extendAgainstPasses = async (other: (store: FlashSaleStore, clock: () => number) => Promise<{ pass: FlashSale; done(): Promise<void> }>) => {
      const { sale, store, product, clock } = await setup({ holdTtlMs: TTL, holdMaxLifetimeMs: 10 * TTL });
      const id = await product(HOLDS);
      const holds: HoldCreated[] = [];
      for (let i = 0; i < HOLDS; i++) holds.push(await sale.createHold({ productId: id, qty: 1 }));
      clock.advance(TTL - 1);
      const passClock = manualClock(clock() + 1);
      const { pass, done } = await other(store, passClock);
      try {
        const [extensions, passes] = await Promise.all([
          Promise.all(holds.map((hold) => outcome(sale.extendHold({ holdId: hold.holdId, token: hold.token })))),
          Promise.all([pass.releaseExpired(), pass.releaseExpired(), pass.releaseExpired()]),
        ]);
        const extended = extensions.filter((e) => e.ok).length;
        expect(extended + passes.reduce((sum, p) => sum + p.holds, 0)).toBe(HOLDS);
        expect(extensions.flatMap((e) => (e.ok ? [] : [e.code])).every((code) => code === 'hold_expired')).toBe(true);
        // Seen by the pass's clock, every extension that answered stands, with the expiry it answered.
        for (const [i, extension] of extensions.entries()) {
          const hold = holds[i]!;
          const seen = await pass.getHold({ holdId: hold.holdId, token: hold.token });
          if (extension.ok) expect(seen).toMatchObject({ status: 'active', expiresAt: extension.value.expiresAt });
          else expect(seen.status).toBe('expired');
        }
        expect(await pass.releaseExpired()).toMatchObject({ holds: 0 });
        expect((await sale.getProduct(id)).availableStock).toBe(HOLDS - extended);
      } finally {
        await done();
      }
    };

    it(`extend against expiry passes, ${HOLDS} holds at their expiry: no extension that answered is undone`, () =>
      extendAgainstPasses(async (store, clock) => ({ pass: createFlashSale({ store, clock, holdTtlMs: TTL, holdMaxLifetimeMs: 10 * TTL, releaseBatch: 7 }), done: async () => {} })));

    // Registered only where the database can be shared: a skipped test would read as a gap.
    if (connectAgain) {
      const onAnotherConnection = async (store: FlashSaleStore, clock: () => number) => {
        const other = await connectAgain(store);
        return { pass: createFlashSale({ store: other, clock, holdTtlMs: TTL, holdMaxLifetimeMs: 10 * TTL, releaseBatch: 7 }), done: () => other.close() };
      };
      it('release against expiry passes on another connection: each hold\'s stock comes back once', () =>
        releaseAgainstPasses((_sale, store, clock) => onAnotherConnection(store, clock)));
      it('extend against expiry passes on another connection: no extension that answered is undone', () => extendAgainstPasses(onAnotherConnection));
    }
  });
}

import { describe, expect, it } from 'vitest';
import type { HoldRecord, OrderRecord, PaymentStatus } from '../../domain.js';
import type { Replayable } from '../../idempotency.js';
import type { FlashSaleStore } from '../../store.js';
import { randomInt, seededRandom } from './random.js';
import type { Setup } from './setup.js';

const HOLDS = 12;
const ORDERS = 6;
/** Calls per round: all made in one turn, so a store that groups writes takes them in one batch. */
const CALLS = 40;
const ROUNDS = 4;
const LIFETIME = { ttlMs: 1_000, maxLifetimeMs: 1_500 };

type Call =
  | { use: 'order'; hold: number; rightToken: boolean; key?: string }
  | { use: 'release'; hold: number; rightToken: boolean }
  | { use: 'extend'; hold: number; rightToken: boolean }
  | { use: 'pay'; order: number; status: PaymentStatus; key: string };

/** A round's holds and orders, made one by one before the mix, the same way in every store. */
interface Stage {
  holds: HoldRecord[];
  orders: OrderRecord[];
}

const token = (round: number, hold: number) => `r${round}h${hold}`.padEnd(64, '0');
const wrongToken = 'f'.repeat(64);

async function stage(store: FlashSaleStore, round: number): Promise<Stage> {
  const product = await store.createProduct({ name: `group ${round}`, priceCents: 250, stock: 100 });
  const holds: HoldRecord[] = [];
  for (let i = 0; i < HOLDS; i++) {
    // Some holds expire while the mix runs (its calls are at 100..490 ms).
    const [outcome] = await store.reserveHolds([{ productId: product.id, qty: 1 + (i % 3), tokenHash: token(round, i), createdAt: 0, expiresAt: i % 4 === 3 ? 300 : 10_000 }]);
    if (outcome?.kind !== 'done' || outcome.outcome.kind !== 'held') throw new Error(`staging hold ${i} failed`);
    holds.push(outcome.outcome.hold);
  }
  const orders: OrderRecord[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const made = await store.createOrder({ holdId: holds[i]!.id, tokenHash: token(round, i), now: 50, paymentDeadline: 100_000 });
    if (made.kind !== 'done' || made.outcome.kind !== 'created') throw new Error(`staging order ${i} failed`);
    orders.push(made.outcome.order);
  }
  return { holds, orders };
}

function mix(random: () => number): Call[] {
  return Array.from({ length: CALLS }, (): Call => {
    const hold = randomInt(random, 0, HOLDS - 1);
    const rightToken = random() < 0.85;
    switch (randomInt(random, 0, 3)) {
      case 0:
        return random() < 0.5 ? { use: 'order', hold, rightToken, key: `o${randomInt(random, 0, 2)}` } : { use: 'order', hold, rightToken };
      case 1:
        return { use: 'release', hold, rightToken };
      case 2:
        return { use: 'extend', hold, rightToken };
      default:
        return { use: 'pay', order: randomInt(random, 0, ORDERS - 1), status: random() < 0.7 ? 'success' : 'failed', key: `p${randomInt(random, 0, 3)}` };
    }
  });
}

/** Starts one call; `i` is its place in arrival order, and sets its clock. */
function start(store: FlashSaleStore, round: number, staged: Stage, call: Call, i: number): Promise<unknown> {
  const now = 100 + i * 10;
  if (call.use === 'pay') {
    const order = staged.orders[call.order]!;
    return store.applyPayment({
      orderId: order.id,
      status: call.status,
      txnId: `T-${call.order}`,
      now,
      idempotency: { scope: 'payment', keyHash: `round${round}:${call.key}`, fingerprint: `${call.order}:${call.status}` },
    });
  }
  const holdId = staged.holds[call.hold]!.id;
  const tokenHash = call.rightToken ? token(round, call.hold) : wrongToken;
  if (call.use === 'order') {
    const idempotency = call.key === undefined ? {} : { idempotency: { scope: 'order' as const, keyHash: `round${round}:${call.key}`, fingerprint: `${call.hold}:${call.rightToken}` } };
    return store.createOrder({ holdId, tokenHash, now, paymentDeadline: 100_000, ...idempotency });
  }
  if (call.use === 'release') return store.releaseHold({ holdId, tokenHash, now });
  return store.extendHold({ holdId, tokenHash, now, ...LIFETIME });
}

/** Answers and rows with each store's ids replaced by their place in the round, so two stores compare. */
function normalizer(staged: Stage) {
  const holdIndex = new Map(staged.holds.map((hold, i) => [hold.id, i]));
  const hold = (record: HoldRecord) => ({ ...record, id: holdIndex.get(record.id), productId: 0 });
  const order = (record: OrderRecord) => ({ ...record, id: `order of hold ${holdIndex.get(record.holdId)}`, holdId: holdIndex.get(record.holdId), productId: 0 });
  const answer = (value: unknown): unknown => {
    const replayable = value as Replayable<Record<string, unknown>>;
    if (replayable.kind === 'replay') return { kind: 'replay', fingerprint: replayable.fingerprint };
    const outcome = (replayable.kind === 'done' ? replayable.outcome : value) as Record<string, unknown>;
    return {
      ...outcome,
      ...(outcome['hold'] ? { hold: hold(outcome['hold'] as HoldRecord) } : {}),
      ...(outcome['order'] ? { order: order(outcome['order'] as OrderRecord) } : {}),
    };
  };
  return { hold, order, answer };
}

/** What the round left behind: the product's stock, every hold as read, every order as read. */
async function endState(store: FlashSaleStore, round: number, staged: Stage) {
  const normalize = normalizer(staged);
  const product = await store.getProduct(staged.holds[0]!.productId);
  const holds = [];
  const orders = [];
  for (const [i, record] of staged.holds.entries()) {
    const reading = await store.getHold({ holdId: record.id, tokenHash: token(round, i), now: 1_000 });
    if (reading.kind !== 'found') throw new Error(`hold ${i} not found`);
    holds.push(normalize.hold(reading.hold));
    if (reading.orderId === null) continue;
    const read = await store.getOrder({ orderId: reading.orderId, tokenHash: token(round, i) });
    if (read.kind !== 'found') throw new Error(`order of hold ${i} not found`);
    orders.push(normalize.order(read.order));
  }
  return { available: product?.availableStock, holds, orders };
}

/**
 * Group commit (the checkout wave): concurrent write calls at the port — orders, payments,
 * releases, extensions, refused or not, keyed or not — must answer and leave exactly what making
 * them one at a time in arrival order does. A store that takes them into one transaction must
 * keep each call its own unit: a refusal or a failure of one undoes nothing of the others, and a
 * key used twice in one batch has one effect while the other call replays it.
 */
export function groupedWriteCases(setup: Setup): void {
  describe('grouped writes (the port)', () => {
    it(`${ROUNDS} rounds of ${CALLS} mixed write calls at once answer exactly as the same calls one at a time`, async () => {
      const concurrent = await setup();
      const serial = await setup();
      const random = seededRandom(18);
      for (let round = 0; round < ROUNDS; round++) {
        const calls = mix(random);
        const stagedConcurrent = await stage(concurrent.store, round);
        const stagedSerial = await stage(serial.store, round);

        const atOnce = await Promise.all(calls.map((call, i) => start(concurrent.store, round, stagedConcurrent, call, i)));
        const oneByOne: unknown[] = [];
        for (const [i, call] of calls.entries()) oneByOne.push(await start(serial.store, round, stagedSerial, call, i));

        const normalizeConcurrent = normalizer(stagedConcurrent);
        const normalizeSerial = normalizer(stagedSerial);
        expect(atOnce.map(normalizeConcurrent.answer)).toEqual(oneByOne.map(normalizeSerial.answer));
        expect(await endState(concurrent.store, round, stagedConcurrent)).toEqual(await endState(serial.store, round, stagedSerial));
      }
    });

    it('one payment key delivered twice in one batch, beside other calls: one effect, the other replays it', async () => {
      const { store } = await setup();
      const staged = await stage(store, 0);
      const order = staged.orders[0]!;
      const pay = (status: PaymentStatus) =>
        store.applyPayment({ orderId: order.id, status, txnId: 'T-dup', now: 200, idempotency: { scope: 'payment', keyHash: 'dup', fingerprint: `fp-${status}` } });
      const [first, , second, , reuse] = await Promise.all([
        pay('success'),
        store.releaseHold({ holdId: staged.holds[7]!.id, tokenHash: token(0, 7), now: 200 }),
        pay('success'),
        store.createOrder({ holdId: staged.holds[8]!.id, tokenHash: wrongToken, now: 200, paymentDeadline: 100_000 }),
        pay('failed'),
      ]);
      expect(first).toMatchObject({ kind: 'done', outcome: { kind: 'applied', effect: 'completed', order: { status: 'completed' } } });
      expect(second).toMatchObject({ kind: 'replay', fingerprint: 'fp-success' });
      // The same key with another request: the store gives back the first answer's fingerprint.
      expect(reuse).toMatchObject({ kind: 'replay', fingerprint: 'fp-success' });
      const product = await store.getProduct(order.productId);
      // 100 staged, all 12 holds took 1+2+3+1+2+3+1+2+3+1+2+3 = 24; hold 7 (qty 2) came back.
      expect(product?.availableStock).toBe(100 - 24 + 2);
    });

    it('a key whose first use in a batch is refused (not remembered) is acted on afresh by its next use in the same batch', async () => {
      const { store } = await setup();
      const staged = await stage(store, 0);
      const hold = staged.holds[9]!;
      const key = { scope: 'order' as const, keyHash: 'retry-after-refusal', fingerprint: 'same' };
      const [refused, created, replayed] = await Promise.all([
        store.createOrder({ holdId: hold.id, tokenHash: wrongToken, now: 200, paymentDeadline: 100_000, idempotency: key }),
        store.createOrder({ holdId: hold.id, tokenHash: token(0, 9), now: 200, paymentDeadline: 100_000, idempotency: key }),
        store.createOrder({ holdId: hold.id, tokenHash: token(0, 9), now: 200, paymentDeadline: 100_000, idempotency: key }),
      ]);
      expect(refused).toEqual({ kind: 'done', outcome: { kind: 'refused', code: 'invalid_hold' } });
      expect(created).toMatchObject({ kind: 'done', outcome: { kind: 'created', order: { holdId: hold.id, status: 'pending' } } });
      expect(replayed).toMatchObject({ kind: 'replay', fingerprint: 'same' });
    });
  });
}

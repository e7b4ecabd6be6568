import { randomInt as cryptoRandomInt } from 'node:crypto';
import { randomInt, seededRandom } from '@flashsale/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../helpers/databases.js';
import { cliInProcess } from './cli-in-process.js';
import { call, sleep } from './http-call.js';
import { ServeUnderTest } from './serve-under-test.js';

/**
 * Crash at peak: a stampede of buyers (holds, orders, webhook payments, all with idempotency keys,
 * as real clients send them) runs against `flashsale serve` while the test kill -9s it at seeded
 * random moments and restarts it on the same database. A buyer whose request was cut retries it
 * with the same key once the server is back, or vanishes. Afterwards every answer a buyer got must
 * still be true, and every unit must be accounted for.
 */
const SEED = process.env.FLASHSALE_CRASH_SEED ? Number(process.env.FLASHSALE_CRASH_SEED) : cryptoRandomInt(2 ** 31 - 1);

const HOLD_TTL_MS = 4_000;
/** Buyers in all, at least; they keep coming until the last kill. */
const JOURNEYS = 100;
const CONCURRENCY = 32;
const STOCK = 150;
const KILLS = 3;
const ADMIN_TOKEN = 'crash-test-admin-token-0123456789';

type Plan = 'abandon-hold' | 'abandon-order' | 'pay-success' | 'pay-failed';

interface Journey {
  qty: number;
  plan: Plan;
  /** Most clients send a key; one without cannot safely retry a cut request, so it vanishes. */
  keyedHold: boolean;
  /** A buyer whose hold request was cut may give up instead of retrying. */
  retryHold: boolean;
  replayPayment: boolean;
  thinkMs: number;
}

interface HoldSeen {
  journey: number;
  holdId: number;
  token: string;
  qty: number;
  key: string | undefined;
  converted: boolean;
}

interface OrderSeen {
  journey: number;
  orderId: number;
  holdId: number;
  token: string;
  qty: number;
  key: string;
  answer: Record<string, unknown>;
  /** The state the buyers' answers put it in; `pending` until a payment was answered 200. */
  status: 'pending' | 'completed' | 'failed';
}

interface PaymentSeen {
  journey: number;
  body: { order_id: number; status: 'success' | 'failed'; txn_id: string };
  key: string;
  answer: Record<string, unknown>;
}

/** Buyer `i`'s choices, drawn from the seed alone, whatever the timing. */
function planJourney(seed: number, i: number): Journey {
  const random = seededRandom((seed + Math.imul(i, 0x9e3779b1)) >>> 0);
  const roll = random();
  const plan: Plan = roll < 0.2 ? 'abandon-hold' : roll < 0.35 ? 'abandon-order' : roll < 0.85 ? 'pay-success' : 'pay-failed';
  return {
    qty: randomInt(random, 1, 3),
    plan,
    keyedHold: random() < 0.85,
    retryHold: random() < 0.7,
    replayPayment: random() < 0.3,
    thinkMs: randomInt(random, 0, 15),
  };
}

/**
 * The crash-at-peak suite on one kind of database; `fresh` undefined skips it (PostgreSQL without
 * FLASHSALE_TEST_PG_URL). The seed is printed; FLASHSALE_CRASH_SEED replays it.
 */
export function describeCrashAtPeak(kind: TestDatabase['kind'], fresh: (() => TestDatabase) | undefined): void {
  describe.skipIf(!fresh)(`kill -9 at peak load, restart, finish the sale (${kind})`, () => {
    let database: TestDatabase;
    let server: ServeUnderTest;
    let productId: number;
    const holds: HoldSeen[] = [];
    const orders: OrderSeen[] = [];
    const payments: PaymentSeen[] = [];
    const unexpected: string[] = [];
    /** Requests cut mid-flight (not merely refused) per killed generation. */
    const cutInFlight = new Map<number, number>();
    /** 2xx answers each generation gave before it was killed. */
    const answered = new Map<number, number>();
    /** Every answer each generation gave (a sold-out 409 too): what the kill points count. */
    const replies = new Map<number, number>();
    const kills: { generation: number; afterJourneys: number; signal: NodeJS.Signals | null }[] = [];
    let refusedHolds = 0;
    let lastHoldSettledAt = 0;

    /** Sends, and after a cut waits for the next instance and sends again when `retry` says so. */
    async function send(
      method: 'GET' | 'POST',
      path: string,
      body: unknown,
      headers: Record<string, string>,
      retry: boolean,
    ): Promise<{ status: number; body: Record<string, unknown>; replayed: boolean } | undefined> {
      let { url, generation } = await server.whenUp();
      for (;;) {
        const reply = await call(url, method, path, body, headers);
        // Any hold this request made was made before its answer (or cut) came back.
        if (path === '/api/holds') lastHoldSettledAt = Date.now();
        if (reply.kind === 'answer') {
          replies.set(generation, (replies.get(generation) ?? 0) + 1);
          if (reply.status < 300) answered.set(generation, (answered.get(generation) ?? 0) + 1);
          return { status: reply.status, body: reply.body, replayed: reply.headers.get('idempotent-replayed') === 'true' };
        }
        if (reply.kind === 'no answer' || !server.killed.has(generation)) {
          unexpected.push(`${method} ${path}: ${reply.kind === 'cut' ? `cut (${reply.error})` : 'no answer'} from generation ${generation}, which the test did not kill`);
          return undefined;
        }
        if (reply.error !== 'ECONNREFUSED') cutInFlight.set(generation, (cutInFlight.get(generation) ?? 0) + 1);
        if (!retry) return undefined;
        ({ url, generation } = await server.whenUpAfter(generation));
      }
    }

    function expectStatus(what: string, got: { status: number; body: Record<string, unknown> }, status: number): boolean {
      if (got.status === status) return true;
      unexpected.push(`${what}: ${got.status} ${JSON.stringify(got.body)}`);
      return false;
    }

    async function buy(i: number, journey: Journey): Promise<void> {
      const holdKey = journey.keyedHold ? `crash-${SEED}-hold-${i}` : undefined;
      const held = await send(
        'POST',
        '/api/holds',
        { product_id: productId, qty: journey.qty },
        holdKey ? { 'Idempotency-Key': holdKey } : {},
        holdKey !== undefined && journey.retryHold,
      );
      if (!held) return; // cut and gone: if it was committed, it is an abandoned hold like any other
      if (held.status === 409 && held.body.code === 'insufficient_stock') {
        refusedHolds++;
        return;
      }
      if (!expectStatus(`hold ${i}`, held, 201)) return;
      const hold: HoldSeen = { journey: i, holdId: held.body.hold_id as number, token: held.body.token as string, qty: journey.qty, key: holdKey, converted: false };
      holds.push(hold);
      if (journey.plan === 'abandon-hold') return;

      await sleep(journey.thinkMs);
      const orderKey = `crash-${SEED}-order-${i}`;
      const ordered = await send('POST', '/api/orders', { hold_id: hold.holdId, token: hold.token }, { 'Idempotency-Key': orderKey }, true);
      if (!ordered) return;
      // A restart slower than the hold's remaining lifetime: the buyer was too late, nothing sold.
      if (ordered.status === 400 && ordered.body.code === 'hold_expired') return;
      if (!expectStatus(`order ${i}`, ordered, 201)) return;
      hold.converted = true;
      const order: OrderSeen = {
        journey: i,
        orderId: ordered.body.order_id as number,
        holdId: hold.holdId,
        token: hold.token,
        qty: journey.qty,
        key: orderKey,
        answer: ordered.body,
        status: 'pending',
      };
      orders.push(order);
      if (ordered.body.amount !== `${journey.qty * 10}.00`) unexpected.push(`order ${i}: amount ${String(ordered.body.amount)} for qty ${journey.qty}`);
      if (journey.plan === 'abandon-order') return;

      await sleep(journey.thinkMs);
      const payment: PaymentSeen = {
        journey: i,
        body: { order_id: order.orderId, status: journey.plan === 'pay-success' ? 'success' : 'failed', txn_id: `txn-${SEED}-${i}` },
        key: `crash-${SEED}-pay-${i}`,
        answer: {},
      };
      const paid = await send('POST', '/api/payments/webhook', payment.body, { 'Idempotency-Key': payment.key }, true);
      if (!paid || !expectStatus(`payment ${i}`, paid, 200)) return;
      payment.answer = paid.body;
      payments.push(payment);
      order.status = payment.body.status === 'success' ? 'completed' : 'failed';
      if (paid.body.order_status !== order.status) unexpected.push(`payment ${i}: order_status ${String(paid.body.order_status)}, expected ${order.status}`);
      if (!journey.replayPayment) return;
      // The provider delivers the same webhook again (its own retry, or a duplicate).
      const again = await send('POST', '/api/payments/webhook', payment.body, { 'Idempotency-Key': payment.key }, true);
      if (!again || !expectStatus(`payment replay ${i}`, again, 200)) return;
      if (!again.replayed || JSON.stringify(again.body) !== JSON.stringify(payment.answer)) {
        unexpected.push(`payment replay ${i}: ${JSON.stringify(again.body)} (replayed ${again.replayed}), first ${JSON.stringify(payment.answer)}`);
      }
    }

    beforeAll(async () => {
      console.log(`crash test seed ${SEED} (FLASHSALE_CRASH_SEED=${SEED} replays the same buyers and kill points)`);
      database = fresh!();
      server = new ServeUnderTest(
        ['--port', '0', '--db', database.db, '--no-rate-limit', '--no-seed', '--no-request-log', '--hold-ttl', `${HOLD_TTL_MS}ms`, '--sweep-interval', '1s'],
        { FLASHSALE_ADMIN_TOKEN: ADMIN_TOKEN },
      );
      const first = await server.start();
      const created = await call(first.url, 'POST', '/api/admin/products', { name: 'Crash drop', price: '10.00', stock: STOCK }, { Authorization: `Bearer ${ADMIN_TOKEN}` });
      if (created.kind !== 'answer' || created.status !== 201) throw new Error(`could not create the product: ${JSON.stringify(created)}`);
      productId = created.body.id as number;

      let next = 0;
      let finished = 0;
      let killing = true;
      // Buyers keep coming until the last kill, so every kill lands on a full load.
      const buyers = Array.from({ length: CONCURRENCY }, async () => {
        while (next < JOURNEYS || killing) {
          const i = next++;
          await buy(i, planJourney(SEED, i));
          finished++;
        }
      });
      // Kill points: after each start, once that process has answered a seeded random number of
      // requests, then a few ms more, so the kill lands at an arbitrary point of the requests in flight.
      const random = seededRandom(SEED ^ 0x5eed);
      const killer = (async () => {
        for (let k = 0; k < KILLS; k++) {
          const generation = server.generation;
          const threshold = randomInt(random, 30, 90);
          while ((replies.get(generation) ?? 0) < threshold) await sleep(2);
          await sleep(randomInt(random, 0, 25));
          const { signal } = await server.kill9();
          kills.push({ generation, afterJourneys: finished, signal });
          await server.start();
        }
        killing = false;
      })();
      await Promise.all([killer, ...buyers]);
      console.log(
        `crash ${kind} seed ${SEED}: ${kills.map((k) => `kill after ${k.afterJourneys} journeys (${answered.get(k.generation) ?? 0} answered 2xx, ${cutInFlight.get(k.generation) ?? 0} cut in flight)`).join('; ')}; ` +
          `${holds.length} holds, ${refusedHolds} refused, ${orders.length} orders, ${payments.length} payments answered`,
      );
    }, 60_000);

    afterAll(async () => {
      await server?.stop();
      await database?.dispose();
    });

    it('killed the server at peak three times, with requests in flight each time, and it only ever died when killed', () => {
      expect(kills).toHaveLength(KILLS);
      for (const kill of kills) {
        expect(kill.signal).toBe('SIGKILL');
        expect(cutInFlight.get(kill.generation) ?? 0).toBeGreaterThan(0);
        expect(answered.get(kill.generation) ?? 0).toBeGreaterThan(0);
      }
      expect(server.unexpectedExits).toEqual([]);
      expect(unexpected).toEqual([]);
      // The sale did happen: holds, orders and both payment outcomes were answered.
      expect(holds.length).toBeGreaterThan(50);
      expect(payments.some((p) => p.body.status === 'success') && payments.some((p) => p.body.status === 'failed')).toBe(true);
    });

    it('every order answered 201 exists: its key replays it, and an unpaid one can still be paid', async () => {
      const { url } = await server.whenUp();
      const problems: string[] = [];
      await inBatches(orders, async (order) => {
        const replay = await call(url, 'POST', '/api/orders', { hold_id: order.holdId, token: order.token }, { 'Idempotency-Key': order.key });
        if (replay.kind !== 'answer' || replay.status !== 201 || replay.headers.get('idempotent-replayed') !== 'true' || JSON.stringify(replay.body) !== JSON.stringify(order.answer)) {
          problems.push(`order ${order.orderId} replay: ${JSON.stringify(replay)}`);
        }
        if (order.status !== 'pending' || order.journey % 2 === 1) return;
        // Half the abandoned orders are paid late (still within the payment deadline).
        const paid = await call(url, 'POST', '/api/payments/webhook', { order_id: order.orderId, status: 'success', txn_id: `late-${order.journey}` }, { 'Idempotency-Key': `crash-${SEED}-late-${order.journey}` });
        if (paid.kind === 'answer' && paid.status === 200 && paid.body.order_status === 'completed') order.status = 'completed';
        else problems.push(`late payment of order ${order.orderId}: ${JSON.stringify(paid)}`);
      });
      expect(problems).toEqual([]);
      expect(orders.some((o) => o.status === 'pending')).toBe(true);
    });

    it('every payment answered 200 took effect once: the same delivery replays, a new one of the same outcome changes nothing, the opposite is refused', async () => {
      const { url } = await server.whenUp();
      const problems: string[] = [];
      await inBatches(payments, async (payment) => {
        const replay = await call(url, 'POST', '/api/payments/webhook', payment.body, { 'Idempotency-Key': payment.key });
        if (replay.kind !== 'answer' || replay.status !== 200 || replay.headers.get('idempotent-replayed') !== 'true' || JSON.stringify(replay.body) !== JSON.stringify(payment.answer)) {
          problems.push(`payment ${payment.key} replay: ${JSON.stringify(replay)}`);
        }
        const same = await call(url, 'POST', '/api/payments/webhook', payment.body, { 'Idempotency-Key': `${payment.key}-again` });
        if (same.kind !== 'answer' || same.status !== 200 || same.body.order_status !== payment.answer.order_status) {
          problems.push(`payment ${payment.key} under a new key: ${JSON.stringify(same)}`);
        }
        const opposite = { ...payment.body, status: payment.body.status === 'success' ? 'failed' : 'success' };
        const refused = await call(url, 'POST', '/api/payments/webhook', opposite, { 'Idempotency-Key': `${payment.key}-opposite` });
        if (refused.kind !== 'answer' || refused.status !== 409 || refused.body.code !== 'payment_conflict') {
          problems.push(`opposite outcome for ${payment.key}: ${JSON.stringify(refused)}`);
        }
      });
      expect(problems).toEqual([]);
    });

    it('every hold answered 201 exists (keyed ones replay, converted ones are used, the rest expired, none unknown) while holds:release runs beside', async () => {
      // Wait until every hold the buyers took, answered or cut, is past its expiry: an order
      // attempt on a live one would create an order.
      await sleep(Math.max(0, lastHoldSettledAt + HOLD_TTL_MS + 100 - Date.now()));
      const { url } = await server.whenUp();
      const problems: string[] = [];
      // The release pass (its own store, as from cron) races these order attempts on the same expired holds.
      const released = cliInProcess(['holds:release', '--db', database.db, '--json']);
      await inBatches(holds, async (hold) => {
        const tried = await call(url, 'POST', '/api/orders', { hold_id: hold.holdId, token: hold.token });
        // 403 invalid_hold here would mean the hold a buyer was given no longer exists.
        const expected = hold.converted ? 'hold_used' : 'hold_expired';
        if (tried.kind !== 'answer' || tried.status !== 400 || tried.body.code !== expected) problems.push(`hold ${hold.holdId} (${expected}): ${JSON.stringify(tried)}`);
        if (!hold.key) return;
        const replay = await call(url, 'POST', '/api/holds', { product_id: productId, qty: hold.qty }, { 'Idempotency-Key': hold.key });
        if (replay.kind !== 'answer' || replay.status !== 201 || replay.headers.get('idempotent-replayed') !== 'true' || replay.body.hold_id !== hold.holdId || replay.body.token !== hold.token) {
          problems.push(`hold ${hold.holdId} replay: ${JSON.stringify(replay)}`);
        }
      });
      expect(problems).toEqual([]);
      const { code, stdout, stderr } = await released;
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ holds: expect.any(Number), orders: 0, units: expect.any(Number) });
    });

    it('no unit lost or doubled: verify is clean and stock = initial - completed - pending (every abandoned hold came back)', async () => {
      const verified = await cliInProcess(['verify', '--db', database.db, '--json']);
      expect(JSON.parse(verified.stdout)).toEqual({ ok: true, products: 1, violations: [] });
      expect(verified.code).toBe(0);

      const sold = sum(orders.filter((o) => o.status === 'completed'));
      const pending = sum(orders.filter((o) => o.status === 'pending'));
      const { url } = await server.whenUp();
      const product = await call(url, 'GET', `/api/products/${productId}`);
      expect(product.kind === 'answer' && product.body.available_stock).toBe(STOCK - sold - pending);
    });

    it('every acknowledged change has its one event, and every event its change, across the kills', async () => {
      const tailed = await cliInProcess(['events:tail', '--db', database.db, '--json', '--limit', '100000']);
      expect(tailed.stderr).toBe('');
      expect(tailed.code).toBe(0);
      const events = tailed.stdout.trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { id: string; type: string; position: number; data: Record<string, number | string> });
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      for (let i = 1; i < events.length; i++) expect(events[i]!.position).toBeGreaterThan(events[i - 1]!.position);
      const ofType = (type: string) => events.filter((e) => e.type === type).map((e) => e.data);
      const created = new Map(ofType('order.created').map((data) => [data.order_id as number, data]));
      // One order.created per order in storage: each has its own id, and every order a buyer saw is there.
      expect(created.size).toBe(ofType('order.created').length);
      for (const order of orders) expect(created.get(order.orderId)).toMatchObject({ hold_id: order.holdId, qty: order.qty, status: 'pending' });
      // Each settled order has exactly the event of its outcome, and only orders that were created settle.
      for (const type of ['order.completed', 'order.failed'] as const) {
        const settled = ofType(type).map((data) => data.order_id as number);
        expect(new Set(settled).size).toBe(settled.length);
        for (const id of settled) expect(created.has(id)).toBe(true);
        for (const order of orders.filter((o) => `order.${o.status}` === type)) expect(settled).toContain(order.orderId);
      }
      const completed = new Set(ofType('order.completed').map((data) => data.order_id));
      expect(ofType('order.failed').filter((data) => completed.has(data.order_id))).toEqual([]);
      expect(JSON.stringify(events)).not.toMatch(/token/i);
    });
  });
}

function sum(orders: OrderSeen[]): number {
  return orders.reduce((total, o) => total + o.qty, 0);
}

/** Runs `work` over `items`, a few dozen at a time. */
async function inBatches<T>(items: T[], work: (item: T) => Promise<void>, size = 32): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

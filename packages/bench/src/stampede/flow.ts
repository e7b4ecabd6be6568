import { randomBytes } from 'node:crypto';
import type { Random } from '../random.js';
import type { FlowSummary } from '../report/types.js';
import { waveSince, type WaveMeasure } from './checkout-wave.js';
import { runLimited, type ApiClient, type ApiResponse } from './api-client.js';
import type { GrantedHold } from './hold-phase.js';
import type { StockLedgers } from './ledger.js';
import { pollOrderUntil, readOrder } from './order-reads.js';

/**
 * What a buyer who got a hold does next. Shares (of winners): abandon 7.5%, release the hold
 * 7.5%, pay 55%, payment fails 15%, never pay 7.5% (the order expires), pay late 7.5% (success
 * after the order expired).
 */
type Fate = 'abandon' | 'release' | 'paid' | 'failed' | 'unpaid' | 'late';

export interface Buyer {
  hold: GrantedHold;
  fate: Fate;
  /** Tries a wrong token before ordering (3%). */
  wrongTokenFirst: boolean;
  /** Sends its order twice at once (5%). */
  orderTwice: boolean;
  /** Copies of its first webhook sent at once with the same key (3 for 30%, else 1). */
  webhookCopies: number;
  orderId?: number;
  /** The order status the buyer's last accepted webhook answered, or undefined. */
  finalOrderStatus?: string;
  // Hold lifecycle.
  /** A releasing buyer sends its release twice at once (30%). */
  releaseTwice: boolean;
  /** Extends its hold before ordering (10% of those who order), as a slow payment page would. */
  extendFirst: boolean;
  /** True once its release answered 200. */
  released?: boolean;
  /** Every status its order read answered while it waited for the webhook. */
  orderReads: string[];
  /** Its order as read after the whole flow, to compare with storage. */
  lastOrderRead?: Record<string, unknown>;
}

export interface FlowResult {
  buyers: Buyer[];
  summary: FlowSummary;
  /** Answers that broke the API contract, described. */
  contract: string[];
  /**
   * The checkout wave: the orders step's `POST /api/orders`, the first deliveries' webhooks, and
   * the buyers' order reads answered while those webhooks were on their way.
   */
  wave: { orders: WaveMeasure; webhooks: WaveMeasure; readsDuringWebhooks: number };
}

interface FlowOptions {
  client: ApiClient;
  holds: GrantedHold[];
  rng: Random;
  concurrency: number;
  ledger: StockLedgers;
  /** Signs each webhook body the way the payment provider would, when the server checks signatures. */
  sign?: (body: string) => Record<string, string>;
  /** Runs one expiry pass past every deadline of this run; returns what it released. */
  expiryPass: () => Promise<{ holds: number; orders: number; units: number }>;
  /** Told as each step (orders, webhooks, follow-ups, late payments) advances. */
  onProgress?: (step: string, done: number, total: number) => void;
}

const WEBHOOK = '/api/payments/webhook';

/**
 * Walks the buyers who got a hold through the rest of a sale, with the mess of real traffic:
 * releases of holds given up (some sent twice at once), extensions before ordering, orders (some
 * after a wrong-token try, some sent twice at once), payment webhooks in random order across
 * orders, some delivered three times at once with the same key, while each buyer's page reads its
 * order until the webhook lands; retries with new keys, conflicting outcomes, a key reused with
 * another body, failed payments, abandoned holds and unpaid orders left to expire, then one expiry
 * pass, late payments for expired orders, and a last read of every order. Every answer is checked
 * against the API contract (docs/api.md).
 */
export async function runFlow(options: FlowOptions): Promise<FlowResult> {
  const { client, rng, ledger } = options;
  const run = randomBytes(4).toString('hex');
  const contract: string[] = [];
  const summary: FlowSummary = {
    winners: options.holds.length,
    abandoned: 0,
    ordered: 0,
    paid: 0,
    failed: 0,
    unpaid: 0,
    late_paid: 0,
    duplicate_webhooks: 0,
    retries_new_key: 0,
    conflicting_webhooks: 0,
    key_reuse_other_body: 0,
    double_order_attempts: 0,
    wrong_token_attempts: 0,
    expiry_pass: { holds: 0, orders: 0, units: 0 },
    released: 0,
    repeated_releases: 0,
    extended: 0,
    extensions_at_cap: 0,
    order_reads: 0,
  };
  const expect = (what: string, res: ApiResponse, ok: boolean, wanted: string) => {
    if (!ok) contract.push(`${what}: expected ${wanted}, got ${res.status}${res.json?.code ? ` ${String(res.json.code)}` : ''}`);
  };
  const safely = (what: string, work: () => Promise<void>) => async () => {
    try {
      await work();
    } catch (error) {
      contract.push(`${what}: no answer (${(error as Error).message})`);
    }
  };

  const buyers: Buyer[] = options.holds.map((hold) => {
    const r = rng.next();
    const fate: Fate = r < 0.075 ? 'abandon' : r < 0.15 ? 'release' : r < 0.7 ? 'paid' : r < 0.85 ? 'failed' : r < 0.925 ? 'unpaid' : 'late';
    // Every choice is drawn here, in a fixed order, so --seed repeats them whatever the timing.
    return {
      hold,
      fate,
      wrongTokenFirst: rng.chance(0.03),
      orderTwice: rng.chance(0.05),
      webhookCopies: rng.chance(0.3) ? 3 : 1,
      releaseTwice: rng.chance(0.3),
      extendFirst: rng.chance(0.1),
      orderReads: [],
    };
  });
  let step = '';
  let total = 0;
  let done = 0;
  const begin = (name: string, count: number) => {
    step = name;
    total = count;
    done = 0;
    options.onProgress?.(step, done, total);
  };
  const tick = () => options.onProgress?.(step, (done += 1), total);

  // Releases: buyers who give up say so, and their stock is back on sale at once.
  const releaseTasks = rng.shuffle(buyers.filter((b) => b.fate === 'release').map((buyer) => safely(`release of hold ${buyer.hold.holdId}`, async () => {
    const { holdId, token, qty } = buyer.hold;
    const sentAt = Date.now();
    if (buyer.releaseTwice) summary.repeated_releases += 1;
    const answers = await Promise.all((buyer.releaseTwice ? [0, 1] : [0]).map(() => client.post('release', `/api/holds/${holdId}/release`, { token })));
    const released = answers.filter((a) => a.status === 200 && a.json?.hold_id === holdId && a.json.status === 'released' && a.json.qty === qty);
    if (released.length === answers.length) {
      buyer.released = true;
      summary.released += 1;
      ledger.of(buyer.hold.productId).returned(sentAt, qty);
    } else if (answers.every((a) => a.status === 400 && a.json?.code === 'hold_expired') && sentAt >= buyer.hold.expiresAt) {
      // On a target with short holds it expired first: it comes back as an abandoned one does.
      buyer.fate = 'abandon';
    } else {
      const odd = answers.find((a) => !released.includes(a)) ?? answers[0]!;
      expect(`POST /api/holds/{id}/release${buyer.releaseTwice ? ' twice at once' : ''}`, odd, false, `200 {hold_id, status: "released", qty: ${qty}} to every copy`);
      buyer.fate = 'abandon';
    }
    tick();
  })));
  begin('releases', releaseTasks.length);
  await runLimited(releaseTasks, options.concurrency);

  // Orders, some after an extension of the hold.
  const ordering = buyers.filter((b) => b.fate !== 'abandon' && b.fate !== 'release');
  summary.abandoned = buyers.filter((b) => b.fate === 'abandon').length;
  const orderTasks = rng.shuffle(ordering.map((buyer) => safely(`order for hold ${buyer.hold.holdId}`, async () => {
    const body = { hold_id: buyer.hold.holdId, token: buyer.hold.token };
    if (buyer.extendFirst) {
      const extended = await client.post('extend', `/api/holds/${buyer.hold.holdId}/extend`, { token: buyer.hold.token });
      const expiresAt = typeof extended.json?.expires_at === 'string' ? Date.parse(extended.json.expires_at) : Number.NaN;
      if (extended.status === 200 && extended.json?.hold_id === buyer.hold.holdId && expiresAt >= buyer.hold.expiresAt) {
        summary.extended += 1;
        buyer.hold.expiresAt = expiresAt;
      } else if (extended.status === 409 && extended.json?.code === 'hold_extension_limit') {
        // A target whose holds already live as long as its maximum lifetime.
        summary.extensions_at_cap += 1;
      } else {
        expect('POST /api/holds/{id}/extend', extended, false, `200 with an expires_at no earlier than ${new Date(buyer.hold.expiresAt).toISOString()}, or 409 hold_extension_limit`);
      }
    }
    if (buyer.wrongTokenFirst) {
      summary.wrong_token_attempts += 1;
      const wrong = await client.post('orders', '/api/orders', { ...body, token: randomBytes(32).toString('hex') });
      expect('POST /api/orders with a wrong token', wrong, wrong.status === 403, '403');
    }
    const twice = buyer.orderTwice;
    if (twice) summary.double_order_attempts += 1;
    const answers = await Promise.all((twice ? [body, body] : [body]).map((b) => client.post('orders', '/api/orders', b)));
    const created = answers.filter((a) => a.status === 201);
    if (twice) {
      const second = answers.find((a) => a.status !== 201);
      expect('POST /api/orders twice at once for one hold', second ?? answers[0]!, created.length === 1 && second?.status === 400, 'one 201 and one 400');
    } else {
      expect('POST /api/orders', answers[0]!, created.length === 1, '201');
    }
    const order = created[0]?.json;
    if (order && typeof order.order_id === 'number' && order.status === 'pending') {
      buyer.orderId = order.order_id;
      summary.ordered += 1;
    } else {
      // The hold was never converted: it must come back at the expiry pass like an abandoned one.
      buyer.fate = 'abandon';
      if (created[0]) contract.push(`POST /api/orders: 201 without an order id and status pending`);
    }
    tick();
  })));
  begin('orders', orderTasks.length);
  const ordersFrom = waveSince(client, 'orders');
  await runLimited(orderTasks, options.concurrency);
  const ordersWave = ordersFrom.end();

  const ordered = buyers.filter((b) => b.orderId !== undefined);
  const pay = (buyer: Buyer, status: 'success' | 'failed', key: string) => {
    const body = JSON.stringify({ order_id: buyer.orderId, status, txn_id: `txn-${run}-${buyer.orderId}` });
    return client.postRaw('webhook', WEBHOOK, body, { 'idempotency-key': key, ...options.sign?.(body) });
  };

  // First deliveries, in random order across orders; some delivered three times at once. Each
  // buyer's checkout page reads its order meanwhile, until the webhook has landed.
  const firstTasks = rng.shuffle(ordered.filter((b) => b.fate === 'paid' || b.fate === 'failed').map((buyer) =>
    safely(`webhook for order ${buyer.orderId}`, async () => {
      const status = buyer.fate === 'paid' ? 'success' : 'failed';
      const wanted = buyer.fate === 'paid' ? 'completed' : 'failed';
      const copies = buyer.webhookCopies;
      if (copies > 1) summary.duplicate_webhooks += copies - 1;
      if (status === 'failed') ledger.of(buyer.hold.productId).returned(Date.now(), buyer.hold.qty);
      const key = `pay-${run}-${buyer.orderId}-1`;
      const delivery = Promise.all(Array.from({ length: copies }, () => pay(buyer, status, key)));
      const [answers, polled] = await Promise.all([delivery, pollOrderUntil(client, { orderId: buyer.orderId!, token: buyer.hold.token }, wanted, delivery)]);
      buyer.orderReads = polled.statuses;
      summary.order_reads += polled.statuses.length;
      if (polled.problem) contract.push(polled.problem);
      const settled = answers.filter((a) => a.status === 200 && a.json?.order_status === wanted);
      // A copy that arrives while the first is still running may get 409 (in flight), never a second effect.
      const stray = answers.filter((a) => !(a.status === 200 && a.json?.order_status === wanted) && a.status !== 409);
      expect(`webhook ${status} x${copies} (same key)`, stray[0] ?? answers[0]!, settled.length >= 1 && stray.length === 0, `200 ${wanted}`);
      buyer.finalOrderStatus = wanted;
      if (buyer.fate === 'paid') summary.paid += 1;
      else summary.failed += 1;
      tick();
    }),
  ));
  begin('webhooks', firstTasks.length);
  const webhooksFrom = waveSince(client, 'webhook');
  const readsBefore = client.latencies('order-read').length;
  await runLimited(firstTasks, options.concurrency);
  const webhooksWave = webhooksFrom.end();
  const readsDuringWebhooks = client.latencies('order-read').length - readsBefore;

  // Follow-ups: retries with new keys, opposite outcomes, a key reused with another body.
  const followTasks: (() => Promise<void>)[] = [];
  for (const buyer of ordered) {
    if (buyer.fate === 'paid' && rng.chance(0.25)) {
      summary.retries_new_key += 1;
      followTasks.push(safely(`retry for order ${buyer.orderId}`, async () => {
        const res = await pay(buyer, 'success', `pay-${run}-${buyer.orderId}-retry`);
        expect('webhook success retried with a new key', res, res.status === 200 && res.json?.order_status === 'completed', '200 completed');
        tick();
      }));
    }
    if (buyer.fate === 'paid' && rng.chance(0.05)) {
      summary.key_reuse_other_body += 1;
      followTasks.push(safely(`key reuse for order ${buyer.orderId}`, async () => {
        const res = await pay(buyer, 'failed', `pay-${run}-${buyer.orderId}-1`);
        expect('webhook key reused with another body', res, res.status === 422, '422');
        tick();
      }));
    }
    if (buyer.fate === 'failed') {
      const r = rng.next();
      if (r < 0.3) {
        summary.conflicting_webhooks += 1;
        followTasks.push(safely(`conflict for order ${buyer.orderId}`, async () => {
          const res = await pay(buyer, 'success', `pay-${run}-${buyer.orderId}-late-success`);
          expect('webhook success after failed (new key)', res, res.status === 409, '409');
          tick();
        }));
      } else if (r < 0.5) {
        summary.retries_new_key += 1;
        followTasks.push(safely(`failed retry for order ${buyer.orderId}`, async () => {
          const res = await pay(buyer, 'failed', `pay-${run}-${buyer.orderId}-retry`);
          expect('webhook failed retried with a new key', res, res.status === 200 && res.json?.order_status === 'failed', '200 failed');
          tick();
        }));
      }
    }
  }
  begin('retries', followTasks.length);
  await runLimited(rng.shuffle(followTasks), options.concurrency);

  // Expiry: abandoned holds and unpaid orders give their stock back, once.
  // An unordered hold may have come back as early as its own expiry (a target's sweeper); an
  // unpaid order only at this pass, as far as the bench knows.
  const passAt = Date.now();
  for (const buyer of buyers) {
    const units = ledger.of(buyer.hold.productId);
    if (buyer.fate === 'abandon') units.returned(Math.min(buyer.hold.expiresAt, passAt), buyer.hold.qty);
    else if (buyer.fate === 'unpaid' || buyer.fate === 'late') units.returned(passAt, buyer.hold.qty);
  }
  summary.expiry_pass = await options.expiryPass();
  summary.unpaid = ordered.filter((b) => b.fate === 'unpaid').length;

  // Late payments for orders that expired: the stock is taken again when it can be.
  const lateTasks = ordered.filter((b) => b.fate === 'late').map((buyer) => safely(`late payment for order ${buyer.orderId}`, async () => {
    const res = await pay(buyer, 'success', `pay-${run}-${buyer.orderId}-after-expiry`);
    const status = res.json?.order_status;
    expect('webhook success after the order expired', res, res.status === 200 && (status === 'completed' || status === 'refund_due'), '200 completed or refund_due');
    if (res.status === 200 && typeof status === 'string') buyer.finalOrderStatus = status;
    if (status === 'completed') ledger.of(buyer.hold.productId).taken(Date.now(), buyer.hold.qty);
    summary.late_paid += 1;
    tick();
  }));
  begin('late pay', lateTasks.length);
  await runLimited(lateTasks, options.concurrency);

  // Every buyer with an order reads it once more, at the end: the audit compares it with storage.
  const finalReads = ordered.map((buyer) => safely(`final read of order ${buyer.orderId}`, async () => {
    const read = await readOrder(client, buyer.orderId!, buyer.hold.token);
    summary.order_reads += 1;
    if (read.status === 200 && read.body) buyer.lastOrderRead = read.body;
    else expect(`GET /api/orders/${buyer.orderId}`, { status: read.status, json: read.body, headers: {} }, false, '200');
    tick();
  }));
  begin('order reads', finalReads.length);
  await runLimited(finalReads, options.concurrency);
  return { buyers, summary, contract, wave: { orders: ordersWave, webhooks: webhooksWave, readsDuringWebhooks } };
}

import type { FlashSale, HoldCreated } from '@flashsale/core';
import type { Invariant } from '../report/types.js';
import { round, summarize, type LatencySummary } from '../report/stats.js';

/** How the store commits the checkout wave's writes: one transaction each, or grouped. */
export const CHECKOUT_PATHS = ['per-request', 'grouped'] as const;
export type CheckoutPath = (typeof CHECKOUT_PATHS)[number];

/** One checkout path's run: the same buyers order, then pay, at the same concurrency. */
export interface CheckoutPathReport {
  path: CheckoutPath;
  buyers: number;
  orders_per_sec: number;
  order_latency_ms: LatencySummary;
  payments_per_sec: number;
  payment_latency_ms: LatencySummary;
  invariants: Invariant[];
}

/** The checkout wave is measured on at most this many buyers per path, so a long run stays short. */
export const MAX_CHECKOUT_BUYERS = 10_000;

interface Timed {
  durationMs: number;
  latencies: number[];
  failures: number;
}

/** `concurrency` workers take the next item until none is left; each call is timed. */
async function drive<T>(items: readonly T[], concurrency: number, call: (item: T, index: number) => Promise<unknown>): Promise<Timed> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      const t = performance.now();
      try {
        await call(items[index]!, index);
      } catch {
        failures += 1;
      }
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { durationMs: performance.now() - started, latencies, failures };
}

/**
 * One path: `buyers` holds on a product of their own (taken through the coalesced hold path, not
 * timed), then every buyer orders, then every order is paid with its own key; orders and payments
 * are timed separately, and the rows are checked afterwards.
 */
export async function runCheckoutPath(
  path: CheckoutPath,
  sale: FlashSale,
  countPaid: (productId: number) => Promise<number>,
  options: { buyers: number; concurrency: number },
): Promise<CheckoutPathReport> {
  const product = await sale.createProduct({ name: `bench checkout ${path}`, price: '10.00', stock: options.buyers });
  const holds: HoldCreated[] = new Array(options.buyers);
  await drive(holds, options.concurrency, async (_, i) => {
    holds[i] = await sale.createHold({ productId: product.id, qty: 1 });
  });
  const orderIds: number[] = new Array(options.buyers);
  const orders = await drive(holds, options.concurrency, async (hold, i) => {
    orderIds[i] = (await sale.createOrder({ holdId: hold.holdId, token: hold.token })).orderId;
  });
  const payments = await drive(orderIds, options.concurrency, (orderId, i) =>
    sale.applyPayment({ orderId, status: 'success', txnId: `bench-${path}-${i}`, idempotencyKey: `bench-${path}-${i}` }),
  );
  const paid = await countPaid(product.id);
  const left = (await sale.getProduct(product.id)).availableStock;
  return {
    path,
    buyers: options.buyers,
    orders_per_sec: round((options.buyers / orders.durationMs) * 1000, 0),
    order_latency_ms: summarize(orders.latencies),
    payments_per_sec: round((options.buyers / payments.durationMs) * 1000, 0),
    payment_latency_ms: summarize(payments.latencies),
    invariants: [
      {
        name: `${path} checkout: every order and payment applied once`,
        ok: orders.failures === 0 && payments.failures === 0 && paid === options.buyers && left === 0,
        detail: `${options.buyers - orders.failures} of ${options.buyers} orders and ${options.buyers - payments.failures} payments answered; ${paid} completed orders stored; ${left} units left`,
      },
    ],
  };
}

import { createHash } from 'node:crypto';
import type { FlashSaleStore } from '@flashsale/core';
import { generateWebhookSecret } from '../../src/index.js';
import { harness, type Harness } from '../helpers.js';

/**
 * The state every fuzz run starts from: products with plenty, little and no stock, holds that are
 * active, expired (not yet swept) and converted, and orders pending, completed, failed and
 * expired. Hold tokens are deterministic, so generated requests can carry a real token.
 */

export const ADMIN_TOKEN = 'fuzz-admin-token';
export const WEBHOOK_SECRET = generateWebhookSecret();

/** The token of the n-th hold ever created (1-based): hold ids follow creation order. */
export function tokenOf(holdId: number): string {
  return createHash('sha256').update(`fuzz-token-${holdId}`).digest('hex');
}

export const FIXTURE = {
  /** Product 1: plenty of stock; 2: little; 3: none; 4: its sale not started; 5: 2 per buyer. 6 does not exist. */
  productIds: [1, 2, 3, 4, 5, 6, 999],
  /** 1: converted, order expired; 2: expired, not swept; 3-5: converted; 6-10: active. */
  holdIds: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 9999],
  /** 1: expired; 2: pending; 3: completed; 4: failed. 5 does not exist. */
  orderIds: [1, 2, 3, 4, 5, 9999],
  // Hold lifecycle: the hold of each order, whose token reads it.
  orderHolds: { 1: 1, 2: 3, 3: 4, 4: 5 } as Record<number, number | undefined>,
} as const;

export async function fixtureHarness(signed: boolean, store: FlashSaleStore): Promise<Harness> {
  let tokens = 0;
  const h = harness(
    { adminToken: ADMIN_TOKEN, ...(signed ? { webhookSecret: WEBHOOK_SECRET } : {}) },
    { generateToken: () => tokenOf(++tokens) },
    (s) => s,
    store,
  );
  const plenty = await h.product(1_000_000);
  await h.product(3, '0.01');
  await h.product(0, '5.00');
  const { engine, clock } = h;
  await engine.createProduct({ name: 'Drop', price: '20.00', stock: 10, saleStartsAt: clock() + 86_400_000 });
  await engine.createProduct({ name: 'Limited', price: '20.00', stock: 10, maxPerBuyer: 2 });

  const first = await engine.createHold({ productId: plenty, qty: 1 });
  await engine.createOrder({ holdId: first.holdId, token: first.token });
  clock.advance(16 * 60_000);
  await engine.releaseExpired(); // order 1 expired

  await engine.createHold({ productId: plenty, qty: 2 });
  clock.advance(3 * 60_000); // hold 2 expired, still "active" until a sweep

  const held = [];
  for (let i = 0; i < 8; i++) held.push(await engine.createHold({ productId: plenty, qty: 1 + (i % 3) }));
  const orders = [];
  for (const hold of held.slice(0, 3)) orders.push(await engine.createOrder({ holdId: hold.holdId, token: hold.token }));
  const [pending, completed, failed] = orders;
  await engine.applyPayment({ orderId: completed!.orderId, status: 'success', idempotencyKey: 'fixture-paid' });
  await engine.applyPayment({ orderId: failed!.orderId, status: 'failed', idempotencyKey: 'fixture-failed' });
  if (pending!.orderId !== 2 || held[7]!.holdId !== 10) throw new Error('fixture ids moved: update FIXTURE');
  return h;
}

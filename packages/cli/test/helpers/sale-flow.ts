import { randomUUID } from 'node:crypto';

/**
 * A stampede and the purchase flow after it, driven over HTTP against `flashsale serve`, keeping
 * what was acknowledged: every change a client got a success answer for, which the merchant
 * events must report, and the refusals, which must report nothing.
 */

export const ADMIN_TOKEN = 'events-test-admin-token-0123456789';

export interface Acknowledged {
  /** Orders answered 201, by id. */
  orders: Set<number>;
  completed: Set<number>;
  failed: Set<number>;
  /** Holds whose (first and only) release answered 200. */
  released: Set<number>;
  restocks: number;
  /** Requests refused as they should be (sold out, wrong token, a replayed payment key). */
  refusals: number;
}

export const emptyAcknowledged = (): Acknowledged => ({ orders: new Set(), completed: new Set(), failed: new Set(), released: new Set(), restocks: 0, refusals: 0 });

/** POSTs JSON and answers the status and body; a broken connection (a killed server) answers status 0. */
export async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  } catch {
    return { status: 0, body: {} };
  }
}

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

export async function createProduct(base: string, stock: number): Promise<number> {
  const created = await post(base, '/api/admin/products', { name: 'Drop', price: '25.00', stock }, admin);
  if (created.status !== 201) throw new Error(`product not created: ${created.status} ${JSON.stringify(created.body)}`);
  return created.body.id as number;
}

/**
 * `buyers` concurrent 1-unit holds on a product of `stock` units (a sell-out), then for the winners:
 * most order, a few release; of the orders most pay (success or failed) and the rest stay pending.
 * Wrong tokens and a replayed payment are sent along the way. Then a restock.
 */
export async function stampedeAndFlow(base: (() => string) | string, acked: Acknowledged, options: { productId: number; buyers: number }): Promise<void> {
  const at = typeof base === 'string' ? () => base : base;
  const holds = await Promise.all(Array.from({ length: options.buyers }, () => post(at(), '/api/holds', { product_id: options.productId, qty: 1 })));
  const won = holds.filter((h) => h.status === 201).map((h) => h.body as { hold_id: number; token: string });
  acked.refusals += holds.filter((h) => h.status === 409).length;

  await Promise.all(
    won.map(async (hold, i) => {
      if (i % 7 === 3) {
        const released = await post(at(), `/api/holds/${hold.hold_id}/release`, { token: hold.token });
        if (released.status === 200) acked.released.add(hold.hold_id);
        return;
      }
      if (i % 5 === 0) {
        const wrong = await post(at(), '/api/orders', { hold_id: hold.hold_id, token: `${hold.token.slice(0, -4)}beef` });
        if (wrong.status >= 400 && wrong.status < 500) acked.refusals += 1;
      }
      const order = await post(at(), '/api/orders', { hold_id: hold.hold_id, token: hold.token });
      if (order.status !== 201) return;
      const orderId = order.body.order_id as number;
      acked.orders.add(orderId);
      if (i % 4 === 1) return; // left pending
      const status = i % 3 === 0 ? 'failed' : 'success';
      const key = `pay-${randomUUID()}`;
      const paid = await post(at(), '/api/payments/webhook', { order_id: orderId, status, txn_id: `TXN-${orderId}` }, { 'Idempotency-Key': key });
      if (paid.status === 200) (status === 'success' ? acked.completed : acked.failed).add(orderId);
      if (i % 6 === 2 && paid.status === 200) {
        // The provider delivers the same payment again: a replay, no second event.
        const again = await post(at(), '/api/payments/webhook', { order_id: orderId, status, txn_id: `TXN-${orderId}` }, { 'Idempotency-Key': key });
        if (again.status === 200) acked.refusals += 1;
      }
    }),
  );
  const restocked = await post(at(), `/api/admin/products/${options.productId}/restock`, { qty: 5 }, admin);
  if (restocked.status === 200) acked.restocks += 1;
}

/** The outbox as the server reports it, every page. */
export async function outbox(base: string): Promise<Array<{ id: string; type: string; position: number; data: Record<string, string | number> }>> {
  const events: Array<{ id: string; type: string; position: number; data: Record<string, string | number> }> = [];
  for (let after = 0; ; ) {
    const res = await fetch(`${base}/api/admin/events?after=${after}&limit=1000`, { headers: admin });
    if (res.status !== 200) throw new Error(`GET /api/admin/events answered ${res.status}`);
    const page = (await res.json()) as { events: typeof events; next_after: number };
    events.push(...page.events);
    if (page.events.length < 1000) return events;
    after = page.next_after;
  }
}

/** Waits until `done()` holds, checking every 100 ms; throws `describe()` after `timeoutMs`. */
export async function waitUntil(done: () => boolean | Promise<boolean>, describe: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

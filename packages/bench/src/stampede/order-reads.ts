import type { ApiClient, ApiResponse } from './api-client.js';

/** What a buyer reads about its order, as `GET /api/orders/{id}` answers it. */
export interface OrderRead {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** How long a checkout page waits between two reads of its order. */
const POLL_INTERVAL_MS = 20;
/** Reads before a page gives up on a webhook that never lands (about 10 s at the interval). */
const MAX_POLLS = 500;

/** One read of an order with the token of its hold, as a checkout page does. */
export async function readOrder(client: ApiClient, orderId: number, token: string): Promise<OrderRead> {
  const res: ApiResponse = await client.get('order-read', `/api/orders/${orderId}`, { 'hold-token': token });
  return { status: res.status, body: res.json };
}

/**
 * Reads the order until its status is `wanted` (the webhook landed), while `webhook` runs: how a
 * checkout page learns the payment arrived. Every read must answer 200 with the status `pending`
 * or `wanted`, and a read sent after the webhook was answered must show `wanted` (the answer comes
 * after the commit). Resolves with every status read, and what broke that, if anything did.
 */
export async function pollOrderUntil(
  client: ApiClient,
  order: { orderId: number; token: string },
  wanted: string,
  webhook: Promise<unknown>,
): Promise<{ statuses: string[]; problem?: string }> {
  const statuses: string[] = [];
  let answered = false;
  const settle = () => void (answered = true);
  webhook.then(settle, settle);
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    const afterAnswer = answered;
    const read = await readOrder(client, order.orderId, order.token);
    const status = read.body?.status;
    const where = `GET /api/orders/${order.orderId}`;
    if (read.status !== 200 || typeof status !== 'string') {
      return { statuses, problem: `${where}: expected 200, got ${read.status}${read.body?.code ? ` ${String(read.body.code)}` : ''}` };
    }
    statuses.push(status);
    if (status === wanted) return { statuses };
    if (status !== 'pending') return { statuses, problem: `${where} read ${status} while its ${wanted} webhook was on its way` };
    if (afterAnswer) return { statuses, problem: `${where}, sent after its webhook was answered, still read pending` };
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return { statuses, problem: `GET /api/orders/${order.orderId} never read ${wanted} in ${MAX_POLLS} reads` };
}

import type { FlashSale, MerchantEvent, OrderEventData } from '@flashsale/core';
import { round, summarize } from '../report/stats.js';
import type { EventsReport, Invariant } from '../report/types.js';
import type { OpenedBenchDb } from '../storage/bench-db.js';
import type { AuditedProduct, HoldRow, OrderRow } from './audit.js';
import type { EventReceiver } from './event-receiver.js';
import type { FlowResult } from './flow.js';
import { histogramQuantile } from './metrics-histogram.js';

/** The check's name when the server pushed its events to the bench's receiver. */
export const EVENTS_DELIVERED_CHECK = 'every committed change has exactly one event, delivered';
/** Its name when nothing was pushed (`--no-events`, `--target`, a store without a delivery queue): the outbox alone. */
export const EVENTS_CHECK = 'every committed change has exactly one event';

const LATENCY_HISTOGRAM = 'flashsale_event_delivery_latency_seconds';
/** How often the wait looks at what the receiver has. */
const POLL_MS = 25;
const PAGE = 1_000;

/** The outcome events an order of each final status carries after its order.created, in order. */
const OUTCOMES: Record<string, readonly (readonly string[])[]> = {
  pending: [[]],
  completed: [['order.completed'], ['order.expired', 'order.completed']],
  failed: [['order.failed']],
  expired: [['order.expired']],
  refund_due: [['order.expired', 'order.refund_due']],
};

export interface EventAuditInput {
  opened: OpenedBenchDb;
  /** Reads the outbox (the engine's `readEvents`, over the bench's own store). */
  engine: Pick<FlashSale, 'readEvents'>;
  products: AuditedProduct[];
  flow: FlowResult;
  /** The outbox's newest position before the server started: the run's events come after it. */
  afterPosition: number;
  /** When the server pushed its events to the bench's receiver; otherwise why not. */
  delivery:
    | {
        receiver: EventReceiver;
        /** When the flow (with its expiry pass and late payments) ended: nothing writes after it. */
        flowEndedAt: number;
        waitMs: number;
        /** The server's /metrics text, for its delivery latency histogram. */
        readMetrics: () => Promise<string | undefined>;
        /** Why the server stopped, if it did: then waiting is pointless. */
        died?: () => string | undefined;
      }
    | { notPushed: string };
}

type EventOrderRow = Omit<OrderRow, 'payment_deadline'>;

/**
 * The merchant-events check: the run's outbox against the rows it reports on (each order one
 * order.created and the outcome events of its final status, each released hold one hold.released,
 * nothing about an order or a release that does not exist), then, when the server pushed, a
 * bounded wait until the receiver has every outbox event, signed, each order's in order. Call it
 * right after the flow: the wait measures how fast the backlog drains, and this process is the
 * receiver, so nothing slow may run before it.
 */
export async function auditEvents(input: EventAuditInput): Promise<{ invariant: Invariant; report: EventsReport }> {
  const events = await readOutbox(input.engine, input.afterPosition);
  const problems = new Problems();
  const pushed = 'receiver' in input.delivery ? await awaitDeliveries(events, input.delivery, problems) : undefined;
  const { orders, releases } = await checkOutbox(input, events, problems);

  const byType: Record<string, number> = {};
  for (const e of events) byType[e.type] = (byType[e.type] ?? 0) + 1;
  const report: EventsReport = {
    pushed: pushed !== undefined,
    ...('notPushed' in input.delivery ? { not_pushed: input.delivery.notPushed } : {}),
    outbox_events: events.length,
    by_type: byType,
    ...(pushed ?? {}),
  };
  const counted = `${events.length} events for ${orders} orders and ${releases} releases, each as its rows say`;
  const okDetail = pushed
    ? `${counted}; ${report.deliveries} deliveries, ${report.duplicates} duplicates, every signature valid; ` +
      (report.backlog_at_flow_end === 0 ? 'the receiver had all of them when the flow ended' : `the last of ${report.backlog_at_flow_end} left at the end of the flow arrived ${report.drain_ms} ms later`)
    : `${counted}; not pushed: ${'notPushed' in input.delivery ? input.delivery.notPushed : ''}`;
  const failed = problems.count > 0;
  const tally = pushed ? ` (events ${events.length}, deliveries ${report.deliveries}, duplicates ${report.duplicates})` : '';
  return {
    invariant: { name: pushed ? EVENTS_DELIVERED_CHECK : EVENTS_CHECK, ok: !failed, detail: failed ? `${problems.describe()}${tally}` : okDetail },
    report,
  };
}

/** Every event after `after`, in position order. */
async function readOutbox(engine: Pick<FlashSale, 'readEvents'>, after: number): Promise<MerchantEvent[]> {
  const events: MerchantEvent[] = [];
  for (let cursor = after; ; ) {
    const page = await engine.readEvents({ after: cursor, limit: PAGE });
    events.push(...page.events);
    if (page.events.length < PAGE) return events;
    cursor = page.next;
  }
}

/** The outbox against the orders and holds rows of the run's products. */
async function checkOutbox(input: EventAuditInput, events: MerchantEvent[], problems: Problems): Promise<{ orders: number; releases: number }> {
  const { opened } = input;
  const add = (kind: string, text: string) => problems.add(`outbox ${kind}`, text);
  const ids = input.products.map((p) => p.productId);
  const inIds = `IN (${ids.map(() => '?').join(', ')})`;
  const params = opened.db.kind === 'postgres' ? [ids] : ids;
  const orders = await opened.query<EventOrderRow>(
    `SELECT id, hold_id, product_id, qty, status, amount_cents FROM orders WHERE product_id ${inIds}`,
    'SELECT id::int AS id, hold_id::int AS hold_id, product_id::int AS product_id, qty::int AS qty, status, amount_cents::float8 AS amount_cents FROM orders WHERE product_id = ANY ($1::bigint[])',
    params,
  );
  const released = await opened.query<HoldRow>(
    `SELECT id, product_id, qty, status FROM holds WHERE status = 'released' AND product_id ${inIds}`,
    "SELECT id::int AS id, product_id::int AS product_id, qty::int AS qty, status FROM holds WHERE status = 'released' AND product_id = ANY ($1::bigint[])",
    params,
  );

  const orderEvents = new Map<number, MerchantEvent[]>();
  const releaseEvents = new Map<number, MerchantEvent[]>();
  const soldOut = new Set<number>();
  for (const e of events) {
    if (e.type === 'hold.released') push(releaseEvents, e.data.holdId, e);
    else if (e.type === 'product.sold_out') soldOut.add(e.data.productId);
    else if (e.type !== 'product.restocked') push(orderEvents, e.data.orderId, e);
  }

  // A completed order was expired first exactly when its buyer paid late.
  const paidLate = new Map(input.flow.buyers.filter((b) => b.orderId !== undefined).map((b) => [b.orderId!, b.fate === 'late']));
  for (const row of orders) {
    const id = Number(row.id);
    const own = orderEvents.get(id) ?? [];
    orderEvents.delete(id);
    const created = own.filter((e) => e.type === 'order.created');
    if (created.length !== 1) add('created', `order ${id} has ${created.length} order.created`);
    const outcomes = own.filter((e) => e.type !== 'order.created').map((e) => e.type);
    const late = paidLate.get(id);
    const allowed = (OUTCOMES[row.status] ?? []).filter((path) => row.status !== 'completed' || late === undefined || (path[0] === 'order.expired') === late);
    if (!allowed.some((path) => sameList(path, outcomes))) {
      add('outcome', `order ${id} (${row.status}) has ${outcomes.length === 0 ? 'no event' : outcomes.join(', ')} after order.created, expected ${allowed.map((p) => (p.length === 0 ? 'none' : p.join(', '))).join(' or ') || 'no such status'}`);
    }
    if (created.length === 1 && own.some((e) => e.type !== 'order.created' && e.position < created[0]!.position)) add('order', `order ${id}'s events are out of order: ${own.map((e) => `${e.type} #${e.position}`).join(', ')}`);
    for (const e of own) {
      const d = e.data as OrderEventData;
      if (d.holdId !== Number(row.hold_id) || d.productId !== Number(row.product_id) || d.qty !== Number(row.qty) || d.amountCents !== Number(row.amount_cents) || d.status !== statusOf(e.type)) {
        add('data', `${e.type} #${e.position} says hold ${d.holdId}, product ${d.productId}, qty ${d.qty}, ${d.amountCents} cents, ${d.status}; order ${id} is hold ${row.hold_id}, product ${row.product_id}, qty ${row.qty}, ${row.amount_cents} cents`);
      }
    }
  }
  // What is left names an order that is none of the run's: it must exist (a running target's other sales).
  const strangers = [...orderEvents.keys()];
  if (strangers.length > 0) {
    const found = new Set((await opened.query<{ id: number }>(`SELECT id FROM orders WHERE id IN (${strangers.map(() => '?').join(', ')})`, 'SELECT id::int AS id FROM orders WHERE id = ANY ($1::bigint[])', opened.db.kind === 'postgres' ? [strangers] : strangers)).map((r) => Number(r.id)));
    for (const id of strangers) if (!found.has(id)) add('no order', `${orderEvents.get(id)!.map((e) => e.type).join(', ')} for order ${id}, which does not exist`);
  }

  for (const row of released) {
    const id = Number(row.id);
    const own = releaseEvents.get(id) ?? [];
    releaseEvents.delete(id);
    if (own.length !== 1) add('released', `released hold ${id} has ${own.length} hold.released`);
    for (const e of own) if (e.type === 'hold.released' && (e.data.qty !== Number(row.qty) || e.data.productId !== Number(row.product_id))) add('data', `hold.released #${e.position} says ${e.data.qty} of product ${e.data.productId}; hold ${id} is ${row.qty} of product ${row.product_id}`);
  }
  const strayReleases = [...releaseEvents.values()].flat();
  if (strayReleases.length > 0) {
    const holdIds = strayReleases.map((e) => (e.type === 'hold.released' ? e.data.holdId : 0));
    const rows = await opened.query<HoldRow>(`SELECT id, product_id, qty, status FROM holds WHERE id IN (${holdIds.map(() => '?').join(', ')})`, 'SELECT id::int AS id, product_id::int AS product_id, qty::int AS qty, status FROM holds WHERE id = ANY ($1::bigint[])', opened.db.kind === 'postgres' ? [holdIds] : holdIds);
    const status = new Map(rows.map((r) => [Number(r.id), r.status]));
    // The run's released holds took their events above: any other hold named must be released too.
    for (const id of holdIds) if (status.get(id) !== 'released') add('no release', `hold.released for hold ${id}, which is ${status.get(id) ?? 'not in storage'}`);
  }

  for (const p of input.products) {
    if (p.stock > 0 && p.availableAfterHolds === 0 && !soldOut.has(p.productId)) add('sold out', `product ${p.productId} sold out in the stampede, but the outbox has no product.sold_out for it`);
  }
  return { orders: orders.length, releases: released.length };
}

/** Waits until the receiver has every event, then measures and checks what it got. */
async function awaitDeliveries(events: MerchantEvent[], delivery: Extract<EventAuditInput['delivery'], { receiver: EventReceiver }>, problems: Problems): Promise<Partial<EventsReport>> {
  const { receiver, flowEndedAt } = delivery;
  const deadline = flowEndedAt + delivery.waitMs;
  let left = events.filter((e) => !receiver.received.has(e.id));
  while (left.length > 0 && Date.now() < deadline && !delivery.died?.()) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    left = left.filter((e) => !receiver.received.has(e.id));
  }
  const waitedMs = Date.now() - flowEndedAt;
  if (left.length > 0) {
    const died = delivery.died?.();
    problems.add('delivery', `${left.length} of ${events.length} outbox events never reached the receiver ${died ? `(${died.split('\n')[0]})` : `within ${Math.round(waitedMs / 1000)} s of the end of the flow`}: ${left.slice(0, 5).map((e) => `${e.type} #${e.position} ${e.id}`).join(', ')}${left.length > 5 ? ', …' : ''}`);
  }
  if (receiver.invalid.length > 0) problems.add('delivery', `${receiver.invalid.length} deliveries failed the Standard Webhooks check (${receiver.invalid.slice(0, 3).join('; ')})`);
  const known = new Set(events.map((e) => e.id));
  const strangers = [...receiver.received.keys()].filter((id) => !known.has(id));
  if (strangers.length > 0) problems.add('delivery', `${strangers.length} delivered events are not in the outbox (${strangers.slice(0, 3).join(', ')})`);
  // An order's events arrive in order: the server sends the next only once the one before is delivered.
  const firstOfOrder = new Map<number, MerchantEvent>();
  for (const e of events) {
    if (e.type === 'hold.released' || e.type === 'product.sold_out' || e.type === 'product.restocked') continue;
    const before = firstOfOrder.get(e.data.orderId);
    const [a, b] = [before && receiver.received.get(before.id), receiver.received.get(e.id)];
    if (before && a && b && a.rank > b.rank) problems.add('arrival order', `order ${e.data.orderId}: ${e.type} #${e.position} arrived before ${before.type} #${before.position}`);
    firstOfOrder.set(e.data.orderId, e);
  }

  const arrivals = events.flatMap((e) => {
    const got = receiver.received.get(e.id);
    return got ? [{ at: got.firstAt, latencyMs: Math.max(0, got.firstAt - e.createdAt) }] : [];
  });
  const backlog = events.length - arrivals.filter((a) => a.at <= flowEndedAt).length;
  const lastAt = arrivals.reduce((last, a) => Math.max(last, a.at), flowEndedAt);
  const drainMs = backlog === 0 ? 0 : lastAt - flowEndedAt;
  const metrics = await delivery.readMetrics().catch(() => undefined);
  const serverP50 = metrics === undefined ? undefined : histogramQuantile(metrics, LATENCY_HISTOGRAM, 0.5);
  const deliveries = receiver.deliveries();
  return {
    deliveries,
    delivered_events: receiver.received.size,
    duplicates: deliveries - receiver.received.size,
    invalid_signatures: receiver.invalid.length,
    backlog_at_flow_end: backlog,
    drain_ms: drainMs,
    drain_per_sec: backlog === 0 || drainMs === 0 ? null : round((backlog / drainMs) * 1000, 0),
    latency_ms: summarize(arrivals.map((a) => a.latencyMs)),
    server_latency_p50_ms: serverP50 === undefined ? null : round(serverP50 * 1000, 1),
  };
}

/** The order status an order event carries: order.created's is pending, the others' their own. */
function statusOf(type: string): string {
  return type === 'order.created' ? 'pending' : type.slice('order.'.length);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Problems by kind, so a detail shows one of each kind however many of one there are. */
class Problems {
  readonly #byKind = new Map<string, string[]>();
  count = 0;

  add(kind: string, text: string): void {
    push(this.#byKind, kind, text);
    this.count += 1;
  }

  /** Every kind's first problem, and how many more of that kind; the delivery problems each in full. */
  describe(): string {
    return [...this.#byKind]
      .flatMap(([kind, texts]) => (kind === 'delivery' || texts.length === 1 ? texts : [`${texts[0]} (and ${texts.length - 1} more like it)`]))
      .join('; ');
  }
}

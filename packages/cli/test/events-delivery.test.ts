import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateWebhookSecret } from '@flashsale/server';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningCli } from './helpers/cli-process.js';
import { DATABASE_KINDS, freshMysql, freshPostgres, MYSQL_URL, PG_URL, type TestDatabase } from './helpers/databases.js';
import { startEventReceiver, type EventReceiver } from './helpers/event-receiver.js';
import { ADMIN_TOKEN, createProduct, emptyAcknowledged, outbox, post, stampedeAndFlow, waitUntil, type Acknowledged } from './helpers/sale-flow.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

/**
 * Outbound merchant webhooks, end to end: real `flashsale serve` processes push the events of a
 * stampede and its purchase flow to a real HTTP receiver that is down for a while, answers 500 at
 * random and is sometimes slower than the attempt timeout. Every event must arrive at least once,
 * signed, each order's events in order, and none for a change that did not commit; a `kill -9`
 * mid-run must lose no event of an acknowledged change; two processes on one database must never
 * have two attempts of one event open at once.
 */

const SECRET = generateWebhookSecret();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serveWithEvents(database: TestDatabase, url: string, extra: string[] = []): Promise<RunningCli> {
  const server = await startServe([
    ...['--port', '0', '--db', database.db, '--no-rate-limit', '--no-request-log', '--no-seed', '--admin-token', ADMIN_TOKEN],
    ...['--events-url', url, '--events-secret', SECRET, '--events-timeout', '1s', '--events-retry-delay', '100ms'],
    ...extra,
  ]);
  cleanups.push(() => stop(server));
  return server;
}

async function stop(server: RunningCli): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  await server.exited;
}

async function receiverBehindProxy(): Promise<{ receiver: EventReceiver; proxy: TcpProxy; url: string }> {
  const receiver = await startEventReceiver(SECRET);
  const proxy = await startTcpProxy(Number(new URL(receiver.url).port));
  cleanups.push(() => receiver.close(), () => proxy.close());
  return { receiver, proxy, url: `http://127.0.0.1:${proxy.port}${new URL(receiver.url).pathname}` };
}

const invalidOf = (...receivers: EventReceiver[]) => receivers.flatMap((r) => r.invalid);

/** Waits until the receiver has accepted every one of `events`. */
function untilReceived(receiver: EventReceiver, events: readonly { id: string }[]): Promise<void> {
  return waitUntil(
    () => events.every((e) => receiver.ids().has(e.id)),
    () => `${events.filter((e) => !receiver.ids().has(e.id)).length} of ${events.length} events not delivered after ${receiver.requests()} requests`,
  );
}

const count = (events: { type: string }[], type: string) => events.filter((e) => e.type === type).length;

/** The outbox reports exactly the acknowledged changes: refusals appended nothing. */
function expectOutboxMatches(events: Awaited<ReturnType<typeof outbox>>, acked: Acknowledged): void {
  const orderIds = (type: string) => new Set(events.filter((e) => e.type === type).map((e) => e.data.order_id as number));
  expect(orderIds('order.created')).toEqual(acked.orders);
  expect(orderIds('order.completed')).toEqual(acked.completed);
  expect(orderIds('order.failed')).toEqual(acked.failed);
  expect(count(events, 'order.created')).toBe(acked.orders.size);
  expect(count(events, 'order.completed') + count(events, 'order.failed')).toBe(acked.completed.size + acked.failed.size);
  expect(new Set(events.filter((e) => e.type === 'hold.released').map((e) => e.data.hold_id as number))).toEqual(acked.released);
  expect(count(events, 'product.restocked')).toBe(acked.restocks);
  expect(count(events, 'product.sold_out')).toBeGreaterThanOrEqual(1);
}

/** Each order's first accepted delivery is its order.created. */
function expectOrdersInOrder(receiver: EventReceiver): void {
  const firstSeen = new Map<number, string>();
  for (const event of receiver.accepted) {
    const orderId = event.data.order_id;
    if (typeof orderId === 'number' && !firstSeen.has(orderId)) firstSeen.set(orderId, event.type);
  }
  expect([...firstSeen.values()].filter((type) => type !== 'order.created')).toEqual([]);
}

describe.each(DATABASE_KINDS)('merchant webhooks from flashsale serve on $kind', ({ kind, fresh }) => {
  it('a receiver down for a while, failing at random and slow gets every event at least once, signed, each order in order, none too many', async () => {
    const database = fresh();
    cleanups.push(() => database.dispose());
    const { receiver, proxy, url } = await receiverBehindProxy();
    proxy.setMode('refuse');
    receiver.set({ failureRate: 0.3, slowRate: 0.05, slowMs: 1_500 });
    const server = await serveWithEvents(database, url);

    const acked = emptyAcknowledged();
    const productId = await createProduct(server.url, 40);
    const flow = stampedeAndFlow(server.url, acked, { productId, buyers: 120 });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The receiver is down: the backlog shows in the metrics, and the server stays ready.
    const down = await (await fetch(`${server.url}/metrics`)).text();
    expect(Number(/flashsale_events_undelivered\{sink="webhook [^"]+"\} (\d+)/.exec(down)?.[1])).toBeGreaterThan(0);
    expect(Number(/flashsale_events_oldest_undelivered_age_seconds\{sink="webhook [^"]+"\} ([\d.]+)/.exec(down)?.[1])).toBeGreaterThan(0);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    proxy.setMode('forward');
    await flow;

    const events = await outbox(server.url);
    expectOutboxMatches(events, acked);
    await untilReceived(receiver, events);
    expect(receiver.invalid).toEqual([]);
    const known = new Set(events.map((e) => e.id));
    expect(receiver.accepted.filter((e) => !known.has(e.id))).toEqual([]);
    expectOrdersInOrder(receiver);
    // The receiver really failed: retries happened, and the metrics count them.
    expect(receiver.requests()).toBeGreaterThan(events.length);
    // An attempt is counted once its settlement commits, a moment after the receiver has it.
    await waitUntil(
      async () => /flashsale_events_undelivered\{sink="webhook [^"]+"\} 0\n/.test(await (await fetch(`${server.url}/metrics`)).text()),
      () => 'the backlog metric never reached 0',
    );
    const after = await (await fetch(`${server.url}/metrics`)).text();
    expect(after).toMatch(/flashsale_event_deliveries_total\{sink="webhook [^"]+",outcome="retry"\} [1-9]/);
    expect(after).toMatch(new RegExp(`flashsale_event_deliveries_total\\{sink="webhook [^"]+",outcome="delivered"\\} ${receiver.accepted.length}\\b`));
    expect(after).toMatch(/flashsale_events_oldest_undelivered_age_seconds\{sink="webhook [^"]+"\} 0\n/);
    expect(after).toMatch(new RegExp(`flashsale_events_appended_total ${events.at(-1)!.position}\\n`));
    console.log(`[events] ${kind}: ${events.length} events, ${receiver.requests()} requests, ${receiver.accepted.length} accepted`);
  });

  it('events:redeliver --from sends the events again to the running server\'s receiver; --url picks one receiver', async () => {
    const database = fresh();
    cleanups.push(() => database.dispose());
    const first = await receiverBehindProxy();
    const second = await receiverBehindProxy();
    const server = await serveWithEvents(database, first.url, ['--events-url', second.url]);
    const acked = emptyAcknowledged();
    await stampedeAndFlow(server.url, acked, { productId: await createProduct(server.url, 10), buyers: 20 });
    const events = await outbox(server.url);
    const allDelivered = (receiver: EventReceiver, times: number) => () =>
      events.every((e) => receiver.accepted.filter((a) => a.id === e.id).length >= times);
    await waitUntil(allDelivered(first.receiver, 1), () => 'first delivery to the first receiver');
    await waitUntil(allDelivered(second.receiver, 1), () => 'first delivery to the second receiver');

    const from = events[2]!.position;
    const one = await runCli(['events:redeliver', '--db', database.db, '--from', String(from), '--url', second.url, '--json']);
    expect([one.code, JSON.parse(one.stdout)]).toEqual([0, { from, sinks: 1 }]);
    await waitUntil(() => second.receiver.accepted.length === events.length + events.length - 2, () => `${second.receiver.accepted.length} accepted by the second receiver`);
    expect(second.receiver.accepted.slice(events.length).map((e) => e.id).sort()).toEqual(events.slice(2).map((e) => e.id).sort());
    expect(first.receiver.accepted).toHaveLength(events.length);

    const all = await runCli(['events:redeliver', '--db', database.db, '--from', '1']);
    expect([all.code, all.stdout.trim()]).toEqual([0, 'events from position 1 on are queued again for 2 sinks']);
    await waitUntil(allDelivered(first.receiver, 2), () => 'second delivery to the first receiver');

    const usage = await runCli(['events:redeliver', '--db', database.db, '--from', '1', '--url', 'ftp://example.com/x']);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('--url: an events URL must use http or https, not ftp')]);
    expect((await runCli(['events:redeliver', '--db', database.db])).code).toBe(2);
    expect(invalidOf(first.receiver, second.receiver)).toEqual([]);
  });

  it('kill -9 of serve mid-run loses no event of an acknowledged change', async () => {
    const database = fresh();
    cleanups.push(() => database.dispose());
    const { receiver, url } = await receiverBehindProxy();
    receiver.set({ delayMs: 20, failureRate: 0.1 });
    let server = await serveWithEvents(database, url);
    const productId = await createProduct(server.url, 60);
    const acked = emptyAcknowledged();
    let base = server.url;

    const flow = stampedeAndFlow(() => base, acked, { productId, buyers: 150 });
    await new Promise((resolve) => setTimeout(resolve, 150));
    server.child.kill('SIGKILL');
    await server.exited;
    await flow;
    server = await serveWithEvents(database, url);
    base = server.url;
    await stampedeAndFlow(() => base, acked, { productId, buyers: 30 });

    const events = await outbox(server.url);
    const byType = (type: string, field: string) => new Set(events.filter((e) => e.type === type).map((e) => e.data[field] as number));
    // Every acknowledged change has its event (a change cut by the kill may have committed unanswered: at least).
    for (const orderId of acked.orders) expect(byType('order.created', 'order_id')).toContain(orderId);
    for (const orderId of acked.completed) expect(byType('order.completed', 'order_id')).toContain(orderId);
    for (const orderId of acked.failed) expect(byType('order.failed', 'order_id')).toContain(orderId);
    for (const holdId of acked.released) expect(byType('hold.released', 'hold_id')).toContain(holdId);
    await untilReceived(receiver, events);
    expect(receiver.invalid).toEqual([]);
    expectOrdersInOrder(receiver);
  });
});

const SHARED_DATABASES: { kind: string; fresh: () => TestDatabase }[] = [];
for (const [kind, url, fresh] of [['postgres', PG_URL, freshPostgres], ['mysql', MYSQL_URL, freshMysql]] as const) {
  if (url) SHARED_DATABASES.push({ kind, fresh: () => fresh(url) });
}

describe.each(SHARED_DATABASES)('merchant webhooks from two serve processes on $kind', ({ fresh }) => {
  it('share the deliveries: each event delivered, never two attempts of one event open at once', async () => {
    const database = fresh();
    cleanups.push(() => database.dispose());
    const { receiver, url } = await receiverBehindProxy();
    receiver.set({ delayMs: 40 });
    const a = await serveWithEvents(database, url);
    const b = await serveWithEvents(database, url);
    const acked = emptyAcknowledged();
    const productId = await createProduct(a.url, 150);
    let turn = 0;
    await stampedeAndFlow(() => (turn++ % 2 ? a.url : b.url), acked, { productId, buyers: 200 });

    const events = await outbox(a.url);
    expectOutboxMatches(events, acked);
    await untilReceived(receiver, events);
    expect(receiver.overlaps).toEqual([]);
    // A healthy receiver: each event exactly once, though two processes were delivering.
    expect(receiver.accepted).toHaveLength(events.length);
    const delivered = async (server: RunningCli) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      return Number(/flashsale_event_deliveries_total\{sink="webhook [^"]+",outcome="delivered"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    // Counted once each settlement commits, a moment after the receiver has the event.
    await waitUntil(
      async () => (await delivered(a)) + (await delivered(b)) >= events.length,
      () => 'the two processes never counted every delivery',
    );
    const [byA, byB] = [await delivered(a), await delivered(b)];
    console.log(`[events] two processes: ${events.length} events, ${byA} delivered by A, ${byB} by B`);
    expect(byA + byB).toBe(events.length);
    expect(byA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
  });
});

describe.each(DATABASE_KINDS)('merchant webhooks from serve --workers 2 on $kind', ({ fresh }) => {
  it('the workers share one queue: each event delivered once, never two attempts of one event open at once', async () => {
    const database = fresh();
    cleanups.push(() => database.dispose());
    const { receiver, url } = await receiverBehindProxy();
    receiver.set({ delayMs: 40 });
    const server = await serveWithEvents(database, url, ['--workers', '2', '--pool-size', '5']);
    const acked = emptyAcknowledged();
    await stampedeAndFlow(server.url, acked, { productId: await createProduct(server.url, 100), buyers: 150 });

    const events = await outbox(server.url);
    expectOutboxMatches(events, acked);
    await untilReceived(receiver, events);
    expect(receiver.invalid).toEqual([]);
    expect(receiver.overlaps).toEqual([]);
    // A healthy receiver: each event exactly once, though every worker runs a delivery loop.
    expect(receiver.accepted).toHaveLength(events.length);
    expectOrdersInOrder(receiver);
  });
});

describe('merchant webhooks to a receiver that never answers', () => {
  it('a backlog of 200 opens at most 16 connections to the URL; the rest wait in the process and the database', async () => {
    const database = DATABASE_KINDS[0]!.fresh();
    cleanups.push(() => database.dispose());
    let open = 0;
    let mostOpen = 0;
    const hung: IncomingMessage[] = [];
    const receiver = createServer((request) => {
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      hung.push(request);
      request.socket.on('close', () => (open -= 1));
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const request of hung) request.socket.destroy();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    // The URL is registered first, then the backlog is built by a server that does not push, so
    // the pushing server meets all 200 due at once and claims full batches.
    await stop(await serveWithEvents(database, url));
    const writer = await startServe(['--port', '0', '--db', database.db, '--no-rate-limit', '--no-request-log', '--no-seed', '--admin-token', ADMIN_TOKEN]);
    cleanups.push(() => stop(writer));
    const productId = await createProduct(writer.url, 1);
    for (let i = 0; i < 200; i += 1) expect((await post(writer.url, `/api/admin/products/${productId}/restock`, { qty: 1 }, { Authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
    await stop(writer);

    const server = await serveWithEvents(database, url, ['--events-timeout', '1m', '--events-batches', '2']);
    await waitUntil(() => open >= 16, () => `only ${open} requests open at the receiver`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(mostOpen).toBe(16);
    // Sales go on meanwhile.
    expect((await post(server.url, '/api/holds', { product_id: productId, qty: 1 })).status).toBe(201);
  });

  it('--events-batches sets the batches in flight: with 1 a hanging attempt holds the next events back, with 2 they go beside it', async () => {
    const answeredWhileFirstHangs = async (batches: string): Promise<number> => {
      const database = DATABASE_KINDS[0]!.fresh();
      cleanups.push(() => database.dispose());
      let requests = 0;
      let answered = 0;
      const hung: IncomingMessage[] = [];
      // The first delivery never gets an answer; every later one gets a 204 at once.
      const receiver = createServer((request, response) => {
        requests += 1;
        if (requests === 1) return void hung.push(request);
        request.resume();
        request.on('end', () => {
          answered += 1;
          response.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      cleanups.push(async () => {
        for (const request of hung) request.socket.destroy();
        await new Promise<void>((resolve) => receiver.close(() => resolve()));
      });
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const server = await serveWithEvents(database, url, ['--events-timeout', '1m', '--events-batches', batches]);
      const productId = await createProduct(server.url, 1);
      const restock = async () => expect((await post(server.url, `/api/admin/products/${productId}/restock`, { qty: 1 }, { Authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(200);
      await restock();
      await waitUntil(() => requests >= 1, () => 'the first delivery never reached the receiver');
      for (let i = 0; i < 3; i += 1) await restock();
      const deadline = Date.now() + 2_000;
      while (answered < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return answered;
    };
    expect(await answeredWhileFirstHangs('2')).toBe(3);
    expect(await answeredWhileFirstHangs('1')).toBe(0);
  });

  it('--events-batches takes a whole number from 1 to 64', async () => {
    const bad = await runCli(['serve', '--db', ':memory:', '--port', '0', '--events-batches', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--events-batches/);
  });
});

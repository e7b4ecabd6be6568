import { randomBytes } from 'node:crypto';
import { createServer, connect as connectTcp, type AddressInfo, type Server, type Socket } from 'node:net';
import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale, merchantEventJson, type EventDelivery, type FlashSale, type MerchantEvent } from '@flashsale/core';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsEventSink, natsSinkId, parseNatsServers, parseNatsSubject } from '../src/index.js';

/**
 * Against a real NATS JetStream when FLASHSALE_TEST_NATS_URL names one (CI starts one and sets
 * it): each test makes streams of its own, with unique names and subjects, and deletes them.
 */

const NATS_URL = process.env.FLASHSALE_TEST_NATS_URL || undefined;

const EVENT: MerchantEvent = {
  id: 'evt_0123456789abcdef0123456789abcdef',
  type: 'product.restocked',
  createdAt: Date.parse('2030-01-01T09:00:05.000Z'),
  position: 42,
  data: { productId: 1, qty: 5, availableStock: 5 },
};

const attempt = () => ({ number: 1, signal: new AbortController().signal });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the NATS server list and subject', () => {
  it('takes the credentials out of the URLs, for the login only', () => {
    expect(parseNatsServers('nats://alice:s3%40cret@10.0.0.1:4222, nats://alice:s3%40cret@10.0.0.2:4223')).toEqual({
      servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4223'],
      credentials: { user: 'alice', pass: 's3@cret' },
    });
    expect(parseNatsServers('nats://t0ken@host:4222').credentials).toEqual({ token: 't0ken' });
    expect(parseNatsServers('127.0.0.1:4222,tls://host')).toEqual({ servers: ['nats://127.0.0.1:4222', 'tls://host'], credentials: {} });
  });

  it('refuses a list it cannot use, without repeating what may be a password', () => {
    expect(() => parseNatsServers(' , ')).toThrow('a NATS server list needs at least one nats:// URL');
    expect(() => parseNatsServers('http://host:4222')).toThrow('a NATS server URL must use nats or tls, not http');
    expect(() => parseNatsServers('nats://a:s3cret@[bad')).toThrow(/^a NATS server must be a URL such as nats:\/\/host:4222$/);
    expect(() => parseNatsServers('nats://a:s3cret@h1,nats://b:other@h2')).toThrow('the NATS servers carry different credentials: one connection logs in with one');
  });

  it('publishes only to a plain subject; the id and label name the subject, never the servers', () => {
    for (const bad of ['', 'a..b', 'a.*', 'a.>', 'a b', '.a']) expect(() => parseNatsSubject(bad)).toThrow(/dot-separated tokens/);
    const sink = natsEventSink({ servers: 'nats://alice:s3cret@127.0.0.1:4222', subject: 'shop.events' });
    expect([sink.id, sink.label, natsSinkId('shop.events')]).toEqual(['nats:shop.events', 'nats shop.events', 'nats:shop.events']);
    expect(() => natsEventSink({ servers: 'nats://127.0.0.1', subject: 'x', timeoutMs: 0 })).toThrow(/timeoutMs must be a positive integer/);
  });
});

describe('natsEventSink when NATS is unreachable', () => {
  it('rejects with the reason, never the URL or its password, and does not connect before the first delivery', async () => {
    const sink = natsEventSink({ servers: 'nats://alice:s3cret@127.0.0.1:9', subject: 'nobody.listens', timeoutMs: 500 });
    const refused = (await sink.deliver(EVENT, attempt()).catch((error: Error) => error)) as Error;
    expect(refused.message).toBe('cannot connect to NATS: connection refused');
    // A second delivery tries again rather than keeping the failed attempt.
    await expect(sink.deliver(EVENT, attempt())).rejects.toThrow('cannot connect to NATS: connection refused');
    await sink.close?.();
    await expect(sink.deliver(EVENT, attempt())).rejects.toThrow('the NATS sink is closed');
  });

  it('gives up on a server that never answers after timeoutMs, or when the attempt is aborted', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const servers = `nats://alice:s3cret@127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const sink = natsEventSink({ servers, subject: 'nobody.listens', timeoutMs: 200 });
      await expect(sink.deliver(EVENT, attempt())).rejects.toThrow(/^cannot connect to NATS: no answer from NATS within 200 ms$/);
      await sink.close?.();

      const slow = natsEventSink({ servers, subject: 'nobody.listens', timeoutMs: 10_000 });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('timed out after 50 ms')), 50);
      await expect(slow.deliver(EVENT, { number: 1, signal: controller.signal })).rejects.toThrow(/^timed out after 50 ms$/);
      // close() does not wait for the connection attempt still under way (the delivery loop's stop() waits for close()).
      const closing = Date.now();
      await slow.close?.();
      expect(Date.now() - closing).toBeLessThan(500);
    } finally {
      silent.close();
    }
  });
});

describe.skipIf(!NATS_URL)('natsEventSink against NATS JetStream', () => {
  const run = randomBytes(4).toString('hex');
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL! });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const name of streams) await jsm.streams.delete(name).catch(() => false);
    await nc?.drain();
  });

  /** A stream of its own listening on one fresh subject. */
  async function stream(label: string) {
    const name = `FLASHSALE_TEST_${run}_${label}`.toUpperCase();
    const subject = `flashsale.test.${run}.${label}`;
    await jsm.streams.add({ name, subjects: [subject] });
    streams.push(name);
    return { name, subject };
  }

  /** The stream's messages in stream order: Nats-Msg-Id and body. */
  async function messages(name: string) {
    const { state } = await jsm.streams.info(name);
    const stored: { msgId: string | undefined; subject: string; body: unknown }[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq += 1) {
      const message = await jsm.streams.getMessage(name, { seq });
      if (message) stored.push({ msgId: message.header?.get('Nats-Msg-Id'), subject: message.subject, body: message.json() });
    }
    expect(stored).toHaveLength(state.messages);
    return stored;
  }

  async function untilDelivered(delivery: EventDelivery) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const backlog = await delivery.backlog();
      if (backlog.every((b) => b.pending === 0 && b.oldestUndeliveredAt === undefined)) return;
      if (Date.now() > deadline) throw new Error(`still undelivered: ${JSON.stringify(backlog.map(({ sink, ...rest }) => ({ sink: sink.id, ...rest })))}`);
      await sleep(20);
    }
  }

  /** Holds, orders, payments (each outcome), an expiry, a release, a sell-out and a restock. */
  async function flow(sale: FlashSale) {
    const product = await sale.createProduct({ name: 'Drop', price: '19.99', stock: 4 });
    const other = await sale.createProduct({ name: 'Other', price: '5.00', stock: 10 });
    const order = async (productId: number, qty: number) => {
      const hold = await sale.createHold({ productId, qty });
      return sale.createOrder({ holdId: hold.holdId, token: hold.token });
    };
    const paid = await order(product.id, 2);
    await sale.applyPayment({ orderId: paid.orderId, status: 'success', idempotencyKey: `pay-${paid.orderId}` });
    const failed = await order(other.id, 1);
    await sale.applyPayment({ orderId: failed.orderId, status: 'failed', idempotencyKey: `pay-${failed.orderId}` });
    const released = await sale.createHold({ productId: other.id, qty: 3 });
    await sale.releaseHold({ holdId: released.holdId, token: released.token });
    await order(product.id, 2); // sells the drop out
    await sale.restock({ productId: product.id, qty: 5 });
    const pending = await order(other.id, 2);
    await sale.applyPayment({ orderId: pending.orderId, status: 'success', idempotencyKey: `pay-${pending.orderId}` });
  }

  it('publishes every event once per subject, Nats-Msg-Id = its id; a redelivery from position 1 adds nothing', async () => {
    const first = await stream('flow_a');
    const second = await stream('flow_b');
    const sale = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }) });
    const delivery = await sale.startEventDelivery({
      sinks: [natsEventSink({ servers: NATS_URL!, subject: first.subject }), natsEventSink({ servers: NATS_URL!, subject: second.subject })],
      pollIntervalMs: 20,
    });
    try {
      await flow(sale);
      await untilDelivered(delivery);
      const { events } = await sale.readEvents({ limit: 1000 });
      expect(new Set(events.map((e) => e.type))).toEqual(new Set(['order.created', 'order.completed', 'order.failed', 'hold.released', 'product.sold_out', 'product.restocked']));

      expect(await sale.redeliverEvents({ from: 1 })).toBe(2);
      // Both sinks owe every event again, until they are sent: the second pass really happens.
      expect((await delivery.backlog()).map((b) => b.oldestUndeliveredAt)).toEqual([events[0]!.createdAt, events[0]!.createdAt]);
      await untilDelivered(delivery);

      for (const { name, subject } of [first, second]) {
        const stored = await messages(name);
        expect(stored).toHaveLength(events.length);
        expect(stored.every((m) => m.subject === subject && m.msgId === (m.body as { id: string }).id)).toBe(true);
        const byPosition = [...stored].sort((a, b) => (a.body as { position: number }).position - (b.body as { position: number }).position);
        expect(byPosition.map((m) => m.body)).toEqual(events.map(merchantEventJson));
        // The events of one order reach the stream in their order.
        const orderEvents = stored.map((m) => m.body as { position: number; data: { order_id?: number } }).filter((b) => b.data.order_id !== undefined);
        for (const orderId of new Set(orderEvents.map((b) => b.data.order_id))) {
          const positions = orderEvents.filter((b) => b.data.order_id === orderId).map((b) => b.position);
          expect(positions).toEqual([...positions].sort((a, b) => a - b));
        }
      }
    } finally {
      await delivery.stop();
      await sale.close();
    }
  });

  it('the same event twice is one message: the duplicate acknowledgement counts as delivered', async () => {
    const { name, subject } = await stream('twice');
    const sink = natsEventSink({ servers: NATS_URL!, subject });
    try {
      await sink.deliver(EVENT, attempt());
      await sink.deliver(EVENT, { number: 2, signal: new AbortController().signal });
      await sink.deliver({ ...EVENT, id: 'evt_ffffffffffffffffffffffffffffffff', position: 43 }, attempt());
    } finally {
      await sink.close?.();
    }
    expect((await messages(name)).map((m) => m.msgId)).toEqual([EVENT.id, 'evt_ffffffffffffffffffffffffffffffff']);
  });

  it('a subject no stream listens on: the attempt fails with no responders, the loop retries, and delivers once a stream binds it', async () => {
    const subject = `flashsale.test.${run}.unbound`;
    const sale = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }) });
    const failures: string[] = [];
    const delivery = await sale.startEventDelivery({
      sinks: [natsEventSink({ servers: NATS_URL!, subject, timeoutMs: 1_000 })],
      pollIntervalMs: 20,
      retryDelayMs: 20,
      maxRetryDelayMs: 40,
      onAttempt: (report) => void (report.outcome === 'retry' && failures.push(report.error!)),
    });
    try {
      const product = await sale.createProduct({ name: 'P', price: '1.00', stock: 0 });
      await sale.restock({ productId: product.id, qty: 3 });
      const deadline = Date.now() + 10_000;
      while (failures.length < 3 && Date.now() < deadline) await sleep(20);
      expect(failures.slice(0, 3)).toEqual(Array(3).fill(`no JetStream stream listens on ${subject} (no responders)`));
      const [backlog] = await delivery.backlog();
      expect(backlog!.pending).toBe(1);
      expect(backlog!.oldestUndeliveredAt).toBeDefined();

      const name = `FLASHSALE_TEST_${run}_UNBOUND`;
      await jsm.streams.add({ name, subjects: [subject] });
      streams.push(name);
      await untilDelivered(delivery);
      const { events } = await sale.readEvents();
      expect((await messages(name)).map((m) => m.body)).toEqual(events.map(merchantEventJson));
    } finally {
      await delivery.stop();
      await sale.close();
    }
  });

  it('reconnects after the connection drops, and close() drains the connection', async () => {
    const { name, subject } = await stream('reconnect');
    const proxy = await tcpProxy(new URL(NATS_URL!));
    const sink = natsEventSink({ servers: `nats://127.0.0.1:${proxy.port}`, subject, timeoutMs: 1_000, connect: { reconnectTimeWait: 20 } });
    const event = (n: number): MerchantEvent => ({ ...EVENT, id: `evt_${String(n).padStart(32, '0')}`, position: n });
    try {
      await sink.deliver(event(1), attempt());
      expect(proxy.connections()).toBe(1);
      proxy.cut();
      // Deliveries fail while the connection is down (or are answered once it is back).
      const deadline = Date.now() + 10_000;
      let delivered = false;
      while (!delivered && Date.now() < deadline) delivered = await sink.deliver(event(2), attempt()).then(() => true, () => false);
      expect(delivered).toBe(true);
      expect(proxy.connections()).toBe(2);
    } finally {
      await sink.close?.();
    }
    // Drained: the client closed its side, so the proxy holds no connection (give the close a moment to arrive).
    for (let i = 0; i < 50 && proxy.open() > 0; i += 1) await sleep(10);
    expect(proxy.open()).toBe(0);
    proxy.close();
    expect((await messages(name)).map((m) => m.msgId)).toEqual([event(1).id, event(2).id]);
  });
});

/** A loopback TCP proxy to the test NATS, whose connections can be cut. */
async function tcpProxy(target: URL) {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((client) => {
    accepted += 1;
    const upstream = connectTcp(Number(target.port || 4222), target.hostname);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a);
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.on('error', () => b.destroy());
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => accepted,
    open: () => sockets.size,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => server.close(),
  };
}


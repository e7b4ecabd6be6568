import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { runCli, startServe } from './helpers/cli-process.js';
import { freshSqlite } from './helpers/databases.js';
import { ADMIN_TOKEN, createProduct, emptyAcknowledged, outbox, stampedeAndFlow, waitUntil } from './helpers/sale-flow.js';

const NATS_URL = process.env.FLASHSALE_TEST_NATS_URL || undefined;

/**
 * `flashsale serve --events-nats`: the events of a stampede and its flow reach a JetStream stream,
 * each once (by Nats-Msg-Id), and `events:redeliver --subject` sends them again without a copy.
 */
describe.skipIf(!NATS_URL)('flashsale serve --events-nats', () => {
  it('publishes every event once to the stream on --events-subject; a redelivery adds no copy', async () => {
    const run = randomBytes(4).toString('hex');
    const subject = `flashsale.cli.${run}`;
    const name = `FLASHSALE_CLI_${run}`.toUpperCase();
    const nc = await connect({ servers: NATS_URL! });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name, subjects: [subject] });
    const database = freshSqlite();
    const server = await startServe(['--port', '0', '--db', database.db, '--no-rate-limit', '--no-request-log', '--no-seed', '--admin-token', ADMIN_TOKEN, '--events-nats', NATS_URL!, '--events-subject', subject]);
    try {
      const acked = emptyAcknowledged();
      await stampedeAndFlow(server.url, acked, { productId: await createProduct(server.url, 20), buyers: 40 });
      const events = await outbox(server.url);
      expect(events.length).toBeGreaterThan(acked.orders.size);
      const stored = async () => (await jsm.streams.info(name)).state.messages;
      await waitUntil(async () => (await stored()) >= events.length, () => `the stream holds fewer than ${events.length} messages`);

      const again = await runCli(['events:redeliver', '--db', database.db, '--from', '1', '--subject', subject, '--json']);
      expect([again.code, JSON.parse(again.stdout)]).toEqual([0, { from: 1, sinks: 1 }]);
      // Redelivered: the server's metrics count each event delivered twice; the stream keeps one of each.
      await waitUntil(
        async () => {
          const text = await (await fetch(`${server.url}/metrics`)).text();
          return Number(/flashsale_event_deliveries_total\{sink="nats [^"]+",outcome="delivered"\} (\d+)/.exec(text)?.[1] ?? 0) >= 2 * events.length;
        },
        () => 'the redelivery was not published',
      );
      expect(await stored()).toBe(events.length);
      const ids: string[] = [];
      const { state } = await jsm.streams.info(name);
      for (let seq = state.first_seq; seq <= state.last_seq; seq += 1) {
        const message = await jsm.streams.getMessage(name, { seq });
        const body = message!.json<{ id: string }>();
        expect(message!.header?.get('Nats-Msg-Id')).toBe(body.id);
        ids.push(body.id);
      }
      expect(ids.sort()).toEqual(events.map((e) => e.id).sort());
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
      await jsm.streams.delete(name).catch(() => false);
      await nc.drain();
      await database.dispose();
    }
  });

  it('refuses a bad subject or server list before it starts', async () => {
    const bad = await runCli(['serve', '--db', ':memory:', '--port', '0', '--events-nats', NATS_URL!, '--events-subject', 'flashsale.*']);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--events-subject: an events subject must be dot-separated tokens')]);
  });
});

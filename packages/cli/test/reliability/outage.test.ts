import { openPostgresStore, type PostgresStore } from '@flashsale/adapter-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningCli } from '../helpers/cli-process.js';
import { PG_URL, freshPostgres, type TestDatabase } from '../helpers/databases.js';
import { cliInProcess } from './helpers/cli-in-process.js';
import { call, sleep, type Reply } from './helpers/http-call.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

/**
 * PostgreSQL goes away under load and comes back, and `flashsale serve` rides it out: 503
 * storage_unavailable while it is down, every request answered within the timeouts, no crash,
 * serving again by itself afterwards, nothing half-applied. The outage is a TCP proxy between the
 * server and the real PostgreSQL (which other test files share and which is never stopped), cut
 * three ways: links reset and new ones refused; links reset and new ones blackholed; and every
 * connection of this server terminated by PostgreSQL itself (pg_terminate_backend on the proxy's
 * sessions only).
 *
 * Runs when FLASHSALE_TEST_PG_URL is set, e.g. postgres://postgres@127.0.0.1:5432/test.
 */

/** The adapter's `connectionTimeoutMs` default; `serve` has no flag to change it. */
const CONNECTION_TIMEOUT_MS = 5_000;
/** The server's `readyTimeoutMs` default: how long /readyz waits for storage. */
const READY_TIMEOUT_MS = 2_000;
/** Scheduling and retry noise on a busy CI machine. */
const SLACK_MS = 1_000;
const STOCK = 100_000;
const CLIENTS = 12;
const ADMIN_TOKEN = 'outage-test-admin-token-0123456789';

type Step = 'hold' | 'order' | 'payment' | 'product' | 'readyz' | 'healthz';

interface Sent {
  step: Step;
  status: number | 'cut' | 'no answer';
  ms: number;
  code?: unknown;
  problemJson: boolean;
  retryAfter: string | null;
  /** When the request was sent. */
  at: number;
}

interface Payment {
  body: { order_id: number; status: 'success' | 'failed'; txn_id: string };
  key: string;
  answer: Record<string, unknown>;
}

/** Where a buyer's units ended: still held, in a pending order, sold, or back (payment failed). */
interface Outcome {
  qty: number;
  state: 'held' | 'pending' | 'completed' | 'failed';
  payment?: Payment;
}

const url = PG_URL;

describe.skipIf(!url)('PostgreSQL outage under load (through a TCP proxy; the real server keeps running)', () => {
  let proxy: TcpProxy;
  let database: TestDatabase;
  let server: RunningCli;
  let base: string;
  let admin: PostgresStore;
  let productId: number;
  const sent: Sent[] = [];
  const outcomes: Outcome[] = [];
  const unexpected: string[] = [];
  let journeys = 0;

  beforeAll(async () => {
    const real = new URL(url!);
    proxy = await startTcpProxy({ host: real.hostname, port: Number(real.port || 5432) });
    database = freshPostgres(url!);
    const proxied = new URL(database.db);
    proxied.host = `127.0.0.1:${proxy.port}`;
    // Holds live 10 minutes so none expires during the test: every unit stays accounted for.
    server = await startServe(
      ['--port', '0', '--db', proxied.toString(), '--no-rate-limit', '--no-seed', '--no-request-log', '--hold-ttl', '10m', '--sweep-interval', '500ms'],
      { env: { FLASHSALE_ADMIN_TOKEN: ADMIN_TOKEN } },
    );
    base = server.url;
    admin = await openPostgresStore({ connectionString: url!, migrate: false, poolSize: 1, applicationName: 'flashsale-outage-test' });
    const created = await call(base, 'POST', '/api/admin/products', { name: 'Outage drop', price: '10.00', stock: STOCK }, { Authorization: `Bearer ${ADMIN_TOKEN}` });
    if (created.kind !== 'answer' || created.status !== 201) throw new Error(`could not create the product: ${JSON.stringify(created)}`);
    productId = created.body.id as number;
  }, 30_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await admin?.close();
    await proxy?.close();
    await database?.dispose();
  });

  async function send(step: Step, method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const at = Date.now();
    const reply = await call(base, method, path, body, headers);
    const entry: Sent = {
      step,
      status: reply.kind === 'answer' ? reply.status : reply.kind,
      ms: reply.ms,
      problemJson: reply.kind === 'answer' && reply.contentType.startsWith('application/problem+json'),
      retryAfter: reply.kind === 'answer' ? reply.headers.get('retry-after') : null,
      at,
      ...(reply.kind === 'answer' && reply.status >= 400 ? { code: reply.body.code } : {}),
    };
    sent.push(entry);
    if (typeof entry.status !== 'number' || (entry.status >= 500 && entry.status !== 503)) unexpected.push(`${step}: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** A buyer's request, sent again with the same key after every 503 until it lands. */
  async function untilLanded(step: Step, path: string, body: unknown, key: string): Promise<{ status: number; body: Record<string, unknown> }> {
    for (const started = Date.now(); Date.now() - started < 40_000; ) {
      const reply = await send(step, 'POST', path, body, { 'Idempotency-Key': key });
      if (reply.kind !== 'answer') break;
      if (reply.status !== 503) return reply;
      await sleep(100); // Retry-After says 1 s; a shorter wait keeps the pressure on and the test short
    }
    unexpected.push(`${step} ${key} never landed`);
    return { status: -1, body: {} };
  }

  function expectStatus(what: string, got: { status: number; body: Record<string, unknown> }, status: number): boolean {
    if (got.status === status) return true;
    unexpected.push(`${what}: ${got.status} ${JSON.stringify(got.body)}`);
    return false;
  }

  async function holdAndOrder(i: number, qty: number): Promise<{ orderId: number } | 'held' | undefined> {
    const held = await untilLanded('hold', '/api/holds', { product_id: productId, qty }, `outage-hold-${i}`);
    if (!expectStatus(`hold ${i}`, held, 201)) return undefined;
    if (i % 10 === 0) return 'held';
    await sleep(i % 7);
    const ordered = await untilLanded('order', '/api/orders', { hold_id: held.body.hold_id, token: held.body.token }, `outage-order-${i}`);
    if (!expectStatus(`order ${i}`, ordered, 201)) return undefined;
    return { orderId: ordered.body.order_id as number };
  }

  /** hold → order → webhook, each retried with its key through any outage. */
  async function journey(): Promise<void> {
    const i = journeys++;
    const qty = 1 + (i % 3);
    const ordered = await holdAndOrder(i, qty);
    if (ordered === undefined) return;
    if (ordered === 'held') return void outcomes.push({ qty, state: 'held' });
    if (i % 10 === 1) return void outcomes.push({ qty, state: 'pending' });
    await sleep(i % 5);
    const payment: Payment = { body: { order_id: ordered.orderId, status: i % 10 < 4 ? 'failed' : 'success', txn_id: `txn-${i}` }, key: `outage-pay-${i}`, answer: {} };
    const paid = await untilLanded('payment', '/api/payments/webhook', payment.body, payment.key);
    if (!expectStatus(`payment ${i}`, paid, 200)) return;
    payment.answer = paid.body;
    const state = payment.body.status === 'success' ? 'completed' : 'failed';
    if (paid.body.order_status !== state) unexpected.push(`payment ${i}: ${JSON.stringify(paid.body)}, expected ${state}`);
    outcomes.push({ qty, state, payment });
  }

  /** Buyers run journeys until `stop` resolves; resolves once every journey begun has landed. */
  async function load(stop: Promise<void>): Promise<void> {
    let stopped = false;
    void stop.then(() => (stopped = true));
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (!stopped) await journey();
      }),
    );
  }

  /**
   * Load; the fault, kept for `downMs` while the load goes on and the operations endpoints are
   * probed; the restore; then load until /readyz is 200 again and every journey has landed.
   */
  async function outage(fault: () => Promise<void>, downMs: number, whileDown: () => Promise<void> = async () => {}) {
    let endLoad!: () => void;
    const loading = load(new Promise<void>((resolve) => (endLoad = resolve)));
    await sleep(300);
    const from = Date.now();
    await fault();
    await sleep(Math.min(200, downMs));
    const [ready, health] = await Promise.all([send('readyz', 'GET', '/readyz'), send('healthz', 'GET', '/healthz'), send('product', 'GET', `/api/products/${productId}`), whileDown()]);
    await sleep(Math.max(0, downMs - (Date.now() - from)));
    await proxy.restore();
    const restoredAt = Date.now();
    let readyAgain: Reply;
    do readyAgain = await call(base, 'GET', '/readyz');
    while ((readyAgain.kind !== 'answer' || readyAgain.status !== 200) && Date.now() - restoredAt < 10_000 && (await sleep(50), true));
    await sleep(200);
    endLoad();
    await loading;
    return { from, ready, health, readyAgain, readyAfterMs: Date.now() - restoredAt };
  }

  /** The slowest answer per step since `from`, and how many were 503. */
  function summary(from: number) {
    // Everything answered after the fault began, including requests already in flight when it hit.
    const during = sent.filter((s) => s.at + s.ms >= from);
    const slowest = (steps: Step[]) => Math.max(0, ...during.filter((s) => steps.includes(s.step)).map((s) => s.ms));
    return { during, refused: during.filter((s) => s.status === 503), slowest };
  }

  /** A fresh buyer gets through at once: the server serves again without a restart. */
  async function expectServingAgain(): Promise<void> {
    const before = sent.length;
    await journey();
    expect(sent.slice(before).map((s) => s.status)).not.toContain(503);
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
  }

  function expectRefusalsDocumented(refused: Sent[]): void {
    for (const s of refused) expect(s).toMatchObject({ code: 'storage_unavailable', problemJson: true, retryAfter: '1' });
  }

  const deliveries: Payment[] = [];

  it('PostgreSQL refusing connections (links reset, new ones refused): 503 problem+json at once, alive, not ready, back without a restart', async () => {
    // Orders made before the outage, to be paid while it lasts: the provider's webhooks get 503.
    const waiting = await Promise.all(Array.from({ length: 8 }, (_, n) => holdAndOrder(1_000_001 + n * 10, 1)));
    const window = await outage(
      () => proxy.cut('refuse'),
      1_500,
      async () => {
        await Promise.all(
          waiting.map(async (order, n) => {
            if (!order || order === 'held') return;
            const payment: Payment = { body: { order_id: order.orderId, status: n % 4 === 0 ? 'failed' : 'success', txn_id: `down-${n}` }, key: `outage-delivery-${n}`, answer: {} };
            const reply = await send('payment', 'POST', '/api/payments/webhook', payment.body, { 'Idempotency-Key': payment.key });
            if (reply.kind === 'answer' && reply.status === 503) deliveries.push(payment);
            else unexpected.push(`delivery during the outage: ${JSON.stringify(reply)}`);
          }),
        );
      },
    );
    const { during, refused, slowest } = summary(window.from);
    console.log(`refuse: ${during.length} requests, ${refused.length} answered 503, slowest ${Math.round(slowest(['hold', 'order', 'payment', 'product']))} ms; ready again after ${window.readyAfterMs} ms`);

    expect(unexpected).toEqual([]);
    expect(deliveries).toHaveLength(8);
    expect(refused.length).toBeGreaterThan(8);
    expectRefusalsDocumented(refused);
    // A refused connection fails at once: nobody waits for a timeout (measured well under 1 s).
    expect(slowest(['hold', 'order', 'payment', 'product', 'readyz'])).toBeLessThan(CONNECTION_TIMEOUT_MS / 2);
    expect(window.health).toMatchObject({ kind: 'answer', status: 200 });
    expect(window.ready).toMatchObject({ kind: 'answer', status: 503, contentType: 'application/problem+json', body: { code: 'storage_unavailable' } });
    expect(window.readyAgain).toMatchObject({ kind: 'answer', status: 200 });
    await expectServingAgain();
  });

  it('a blackholed network (links reset, new connections never answered) longer than two connection timeouts: every request answered 503 within its bound', async () => {
    const window = await outage(() => proxy.cut('blackhole'), 2 * CONNECTION_TIMEOUT_MS + 1_500);
    const { during, refused, slowest } = summary(window.from);
    console.log(
      `blackhole: ${during.length} requests, ${refused.length} answered 503, slowest hold ${Math.round(slowest(['hold']))} ms, ` +
        `order/payment/read ${Math.round(slowest(['order', 'payment', 'product']))} ms, readyz ${Math.round(slowest(['readyz']))} ms; ready again after ${window.readyAfterMs} ms`,
    );

    expect(unexpected).toEqual([]);
    expect(refused.length).toBeGreaterThan(0);
    expectRefusalsDocumented(refused);
    // Each request waits at most for one connection attempt (the pool's connection timeout).
    expect(slowest(['order', 'payment', 'product'])).toBeLessThan(CONNECTION_TIMEOUT_MS + SLACK_MS);
    expect(slowest(['readyz'])).toBeLessThan(READY_TIMEOUT_MS + SLACK_MS);
    // Holds too: a hold queued behind its product's batch (the core's hold coalescer runs one per
    // product) fails with that batch at once instead of waiting for a connection of its own.
    expect(slowest(['hold'])).toBeLessThan(CONNECTION_TIMEOUT_MS + SLACK_MS);
    expect(window.health).toMatchObject({ kind: 'answer', status: 200 });
    expect(window.ready).toMatchObject({ kind: 'answer', status: 503, body: { code: 'storage_unavailable' } });
    expect(window.readyAgain).toMatchObject({ kind: 'answer', status: 200 });
    await expectServingAgain();
  });

  it("PostgreSQL terminating every connection of the server mid-load (pg_terminate_backend): 503 or success, never a 500, never a crash", async () => {
    let terminated = 0;
    let endLoad!: () => void;
    const from = Date.now();
    const loading = load(new Promise<void>((resolve) => (endLoad = resolve)));
    for (let round = 0; round < 3; round++) {
      await sleep(200);
      const { rows } = await admin.pool.query<{ n: number }>(
        "SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE client_addr = '127.0.0.1' AND client_port = ANY($1::int[])",
        [proxy.upstreamPorts()],
      );
      terminated += rows[0]!.n;
    }
    await sleep(200);
    endLoad();
    await loading;
    const { during, refused } = summary(from);
    console.log(`terminate: ${terminated} backends terminated, ${during.length} requests, ${refused.length} answered 503`);

    expect(terminated).toBeGreaterThan(0);
    expect(unexpected).toEqual([]);
    expectRefusalsDocumented(refused);
    await expectServingAgain();
  });

  it('webhook deliveries that got 503 during the outage are applied exactly once when the provider retries them with the same key', async () => {
    for (const payment of deliveries) {
      const retried = await send('payment', 'POST', '/api/payments/webhook', payment.body, { 'Idempotency-Key': payment.key });
      const state = payment.body.status === 'success' ? 'completed' : 'failed';
      expect(retried).toMatchObject({ kind: 'answer', status: 200, body: { status: 'processed', order_status: state } });
      expect(retried.kind === 'answer' && retried.headers.get('idempotent-replayed')).toBeNull();
      payment.answer = (retried as { body: Record<string, unknown> }).body;
      outcomes.push({ qty: 1, state, payment });
      const again = await send('payment', 'POST', '/api/payments/webhook', payment.body, { 'Idempotency-Key': payment.key });
      expect(again).toMatchObject({ kind: 'answer', status: 200, body: payment.answer });
      expect(again.kind === 'answer' && again.headers.get('idempotent-replayed')).toBe('true');
    }
  });

  it('nothing half-applied: every payment answer replays, verify is clean, and stock = initial - held - pending - sold', async () => {
    const payments = outcomes.flatMap((o) => (o.payment ? [o.payment] : []));
    const replays = await Promise.all(payments.map((p) => call(base, 'POST', '/api/payments/webhook', p.body, { 'Idempotency-Key': p.key })));
    const wrong = replays.filter((r, n) => r.kind !== 'answer' || r.status !== 200 || r.headers.get('idempotent-replayed') !== 'true' || JSON.stringify(r.body) !== JSON.stringify(payments[n]!.answer));
    expect(wrong).toEqual([]);

    const verified = await cliInProcess(['verify', '--db', database.db, '--json']);
    expect(JSON.parse(verified.stdout)).toEqual({ ok: true, products: 1, violations: [] });
    expect(verified.code).toBe(0);

    const taken = outcomes.filter((o) => o.state !== 'failed').reduce((total, o) => total + o.qty, 0);
    const product = await call(base, 'GET', `/api/products/${productId}`);
    expect(product).toMatchObject({ kind: 'answer', status: 200, body: { available_stock: STOCK - taken } });
    console.log(`outage: ${outcomes.length} journeys landed, ${payments.length} payments, ${sent.filter((s) => s.status === 503).length} answers 503 in all`);
  });
});

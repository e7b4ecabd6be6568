import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningCli } from './helpers/cli-process.js';
import { freshMysql, freshPostgres, freshSqlite, MYSQL_URL, PG_URL, type TestDatabase } from './helpers/databases.js';

/**
 * A buyer must never be refused stock that another process has returned. Each case sells a
 * product out on server A while A keeps being asked for it (so any memory A had of the sell-out
 * stays warm), returns units through a second process B (restock, a failed payment, or an expiry
 * pass of `flashsale holds:release`), and then asks A again: every hold that starts after B's
 * answer must be granted while returned units remain.
 *
 * Run on two `flashsale serve` processes sharing one SQLite file, and on `--workers 2` on
 * PostgreSQL, where A and B are the two workers reached over pinned keep-alive connections.
 */

const ADMIN = 'sold-out-across-processes-admin-token';
const HOLD_TTL_MS = 2_000;
const SERVE_FLAGS = ['--port', '0', '--no-rate-limit', '--no-request-log', '--admin-token', ADMIN, '--hold-ttl', `${HOLD_TTL_MS}ms`, '--sweep-interval', '1h'];

interface Answer {
  status: number;
  body: Record<string, unknown>;
  worker: string | undefined;
}

/** A client whose every request goes over one kept-alive connection, so always to the same process. */
interface PinnedClient {
  /** The `Flashsale-Worker` that answered the first request (undefined without a cluster). */
  worker: string | undefined;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): void;
}

function pinnedClient(baseUrl: string): PinnedClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const client: PinnedClient = {
    worker: undefined,
    call: (method, path, body, headers = {}) =>
      new Promise<Answer>((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          new URL(path, baseUrl),
          { method, agent, headers: { ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers } },
          (res) => {
            let text = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
            res.on('end', () => {
              const worker = res.headers['flashsale-worker'] as string | undefined;
              if (client.worker !== undefined && worker !== client.worker) {
                reject(new Error(`pinned to worker ${client.worker}, answered by ${worker}: the kept-alive connection was lost`));
                return;
              }
              resolve({ status: res.statusCode!, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>), worker });
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => agent.destroy(),
  };
  return client;
}

/** Two clients that reach two different processes. */
interface Deployment {
  a: PinnedClient;
  b: PinnedClient;
  database: TestDatabase;
  stop(): Promise<void>;
}

async function twoSqliteServers(): Promise<Deployment> {
  const database = freshSqlite();
  const servers: RunningCli[] = [];
  servers.push(await startServe([...SERVE_FLAGS, '--db', database.db]));
  servers.push(await startServe([...SERVE_FLAGS, '--db', database.db, '--no-seed']));
  const [a, b] = servers.map((server) => pinnedClient(server.url)) as [PinnedClient, PinnedClient];
  return { a, b, database, stop: () => stopAll(servers, [a, b], database) };
}

async function sharedServerWorkers(database: TestDatabase): Promise<Deployment> {
  const server = await startServe([...SERVE_FLAGS, '--db', database.db, '--workers', '2', '--pool-size', '4']);
  // The cluster primary hands each new connection to the next worker: open connections until two
  // different workers hold one each.
  const clients: PinnedClient[] = [];
  const byWorker = new Map<string, PinnedClient>();
  for (let attempt = 0; attempt < 20 && byWorker.size < 2; attempt++) {
    const client = pinnedClient(server.url);
    const answer = await client.call('GET', '/healthz');
    expect(answer.worker).toMatch(/^\d+$/);
    client.worker = answer.worker;
    clients.push(client);
    if (!byWorker.has(answer.worker!)) byWorker.set(answer.worker!, client);
  }
  expect(byWorker.size).toBe(2);
  const [a, b] = [...byWorker.values()] as [PinnedClient, PinnedClient];
  return { a, b, database, stop: () => stopAll([server], clients, database) };
}

async function stopAll(servers: RunningCli[], clients: PinnedClient[], database: TestDatabase): Promise<void> {
  for (const client of clients) client.close();
  for (const server of servers) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
  await database.dispose();
}

const admin = { Authorization: `Bearer ${ADMIN}` };

async function createProduct(client: PinnedClient, stock: number): Promise<number> {
  const created = await client.call('POST', '/api/admin/products', { name: 'Drop', price: '10.00', stock }, admin);
  expect(created.status).toBe(201);
  return created.body.id as number;
}

const hold = (client: PinnedClient, productId: number, qty: number) => client.call('POST', '/api/holds', { product_id: productId, qty });

/**
 * Asks A for `qty` units every few milliseconds until stopped: A keeps hearing "sold out" while
 * B works, as a stampede would make it. `qty` is more than B returns, so these never take stock.
 */
function keepAsking(client: PinnedClient, productId: number, qty: number): { stop(): Promise<number[]> } {
  const statuses: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      statuses.push((await hold(client, productId, qty)).status);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return statuses;
    },
  };
}

/**
 * Sells `productId` out on A, lets B return `returned` units through `giveBack`, then expects A
 * to grant exactly `returned` more one-unit holds, each right after the other, and refuse the next.
 */
async function expectReturnedUnitsGranted(
  { a }: Deployment,
  productId: number,
  returned: number,
  giveBack: () => Promise<void>,
): Promise<void> {
  expect((await hold(a, productId, 1)).body).toMatchObject({ code: 'insufficient_stock' });
  const asking = keepAsking(a, productId, returned + 1);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await giveBack();
  const duringGiveBack = await asking.stop();
  expect(duringGiveBack.length).toBeGreaterThan(0);
  expect(new Set(duringGiveBack)).toEqual(new Set([409]));

  const after: number[] = [];
  for (let i = 0; i <= returned; i++) after.push((await hold(a, productId, 1)).status);
  expect(after).toEqual([...Array(returned).fill(201), 409]);
}

const deployments: { name: string; start: () => Promise<Deployment> }[] = [
  { name: 'two flashsale serve processes on one SQLite file', start: twoSqliteServers },
  ...(PG_URL ? [{ name: 'flashsale serve --workers 2 on PostgreSQL', start: () => sharedServerWorkers(freshPostgres(PG_URL!)) }] : []),
  ...(MYSQL_URL ? [{ name: 'flashsale serve --workers 2 on MySQL', start: () => sharedServerWorkers(freshMysql(MYSQL_URL!)) }] : []),
];

describe.each(deployments)('stock returned by another process is sold at once: $name', ({ start }) => {
  let deployment: Deployment;

  beforeAll(async () => {
    deployment = await start();
  }, 60_000);
  afterAll(async () => {
    await deployment?.stop();
  });

  it('a restock answered by B is seen by the next hold on A', async () => {
    const { a, b } = deployment;
    const productId = await createProduct(a, 1);
    expect((await hold(a, productId, 1)).status).toBe(201);
    await expectReturnedUnitsGranted(deployment, productId, 5, async () => {
      const restocked = await b.call('POST', `/api/admin/products/${productId}/restock`, { qty: 5 }, admin);
      expect(restocked).toMatchObject({ status: 200, body: { available_stock: 5 } });
    });
  });

  it('a failed payment answered by B is seen by the next hold on A', async () => {
    const { a, b } = deployment;
    const productId = await createProduct(a, 1);
    const held = await hold(a, productId, 1);
    const order = await a.call('POST', '/api/orders', { hold_id: held.body.hold_id, token: held.body.token });
    expect(order.status).toBe(201);
    await expectReturnedUnitsGranted(deployment, productId, 1, async () => {
      const webhook = await b.call('POST', '/api/payments/webhook', { order_id: order.body.order_id, status: 'failed' }, { 'Idempotency-Key': `fail-${productId}` });
      expect(webhook).toMatchObject({ status: 200, body: { order_status: 'failed' } });
    });
  });

  it('an expiry released by `flashsale holds:release` is seen by the next hold on A', async () => {
    const { a, database } = deployment;
    const productId = await createProduct(a, 1);
    expect((await hold(a, productId, 1)).status).toBe(201);
    // Past its expiry but not yet released: the unit is still taken, so A is right to refuse.
    await new Promise((resolve) => setTimeout(resolve, HOLD_TTL_MS + 100));
    await expectReturnedUnitsGranted(deployment, productId, 1, async () => {
      const released = await runCli(['holds:release', '--db', database.db, '--json']);
      expect(released.code).toBe(0);
      // Holds of the earlier cases have expired too and go back with this one.
      expect((JSON.parse(released.stdout) as { holds: number }).holds).toBeGreaterThanOrEqual(1);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningCli } from './helpers/cli-process.js';
import { freshMysql, freshPostgres, MYSQL_URL, PG_URL, type TestDatabase } from './helpers/databases.js';
import { requestOnce, type OnceResponse } from './helpers/http-once.js';
import { startTcpProxy, type TcpProxy } from './helpers/tcp-proxy.js';

/** The database servers the test reaches through its proxy, each when its URL is set. */
const SERVERS = [
  ...(PG_URL ? [{ name: 'PostgreSQL', url: PG_URL, defaultPort: 5432, fresh: freshPostgres }] : []),
  ...(MYSQL_URL ? [{ name: 'MySQL', url: MYSQL_URL, defaultPort: 3306, fresh: freshMysql }] : []),
];

/**
 * `flashsale serve` on a database server reached through a TCP proxy the test controls, so "the
 * database goes away" happens to this server only: the shared server other tests use keeps running.
 */
// With neither configured, one skipped case says so (a file without tests would fail the run).
const CASES: typeof SERVERS = SERVERS.length > 0 ? SERVERS : [{ name: 'a database server (none configured)', url: '', defaultPort: 0, fresh: freshPostgres }];

describe.skipIf(SERVERS.length === 0).each(CASES)('flashsale serve while $name goes away and comes back', ({ url, defaultPort, fresh }) => {
  let proxy: TcpProxy;
  let database: TestDatabase;
  let server: RunningCli;
  let hold: { hold_id: number; token: string };

  const get = (path: string) => requestOnce(`${server.url}${path}`);
  const post = (path: string, body: unknown) => requestOnce(`${server.url}${path}`, { body });

  function expectUnavailable(res: OnceResponse) {
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 503, code: 'storage_unavailable' });
    expect(res.headers['retry-after']).toBe('1');
  }

  /** Polls /readyz until it answers 200; fails after 15 s. */
  async function untilReady(): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last: OnceResponse;
    do {
      last = await get('/readyz');
      if (last.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } while (Date.now() < deadline);
    throw new Error(`/readyz still answers ${last.status} 15 s after the database came back`);
  }

  beforeAll(async () => {
    const address = new URL(url);
    proxy = await startTcpProxy(Number(address.port || defaultPort), address.hostname);
    database = fresh(url);
    const proxied = new URL(database.db);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    server = await startServe(['--port', '0', '--db', proxied.toString(), '--no-request-log']);
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await proxy?.close();
    await database?.dispose();
  });

  it('is ready, and sells, while the database answers', async () => {
    expect((await get('/readyz')).status).toBe(200);
    const res = await post('/api/holds', { product_id: 1, qty: 1 });
    expect(res.status).toBe(201);
    hold = res.body as typeof hold;
  });

  it('answers 503 problem+json (storage_unavailable) to /readyz and to every request while the database refuses, and stays up', async () => {
    proxy.setMode('refuse');
    expectUnavailable(await get('/readyz'));
    expectUnavailable(await get('/api/products/1'));
    expectUnavailable(await post('/api/holds', { product_id: 1, qty: 1 }));
    expectUnavailable(await post('/api/orders', { hold_id: hold.hold_id, token: hold.token }));
    // Liveness is not readiness: the process is fine, a restart would not help.
    expect((await get('/healthz')).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });

  it('is ready again without a restart once the database is back, and the hold taken before still converts', async () => {
    proxy.setMode('forward');
    await untilReady();
    const order = await post('/api/orders', { hold_id: hold.hold_id, token: hold.token });
    expect(order.status).toBe(201);
    expect(order.body).toMatchObject({ status: 'pending', amount: '99.99' });
    expect((await post('/api/holds', { product_id: 1, qty: 1 })).status).toBe(201);
    expect(server.messages().match(/^flashsale listening on /gm)).toHaveLength(1);
  });

  it('answers /readyz 503 within its own timeout while the network to the database is silent, then 200 again', async () => {
    proxy.setMode('stall');
    expectUnavailable(await get('/readyz'));
    expect((await get('/healthz')).status).toBe(200);
    proxy.setMode('forward');
    await untilReady();
  });

  it('kept every invariant through the outages, and stops with exit 0', async () => {
    const verified = await runCli(['verify', '--db', database.db, '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toEqual({ ok: true, products: 1, violations: [] });
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});

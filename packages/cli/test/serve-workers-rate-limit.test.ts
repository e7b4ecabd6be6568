import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningCli } from './helpers/cli-process.js';
import { DATABASE_KINDS, type TestDatabase } from './helpers/databases.js';
import { requestOnce } from './helpers/http-once.js';

/**
 * Rate limits under `flashsale serve --workers 2`: counted where every worker sees the same count
 * (PostgreSQL, or the cluster primary on SQLite), so two workers allow the limit once, not twice.
 */

const WORKER_HEADER = 'flashsale-worker';
const ADMIN_TOKEN = 'admin-token-for-workers-0123456789';

async function stopServer(server: RunningCli | undefined): Promise<void> {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

describe.each(DATABASE_KINDS)('flashsale serve --workers 2 on $kind with default rate limits', ({ fresh }) => {
  let database: TestDatabase;
  let server: RunningCli;

  beforeAll(async () => {
    database = fresh();
    server = await startServe(['--workers', '2', '--port', '0', '--db', database.db, '--pool-size', '5', '--no-request-log', '--admin-token', ADMIN_TOKEN]);
  });
  afterAll(async () => {
    await stopServer(server);
    await database?.dispose();
  });

  it('refuses the 21st hold from one client within a minute, though its holds landed on both workers', async () => {
    const hold = () => requestOnce(`${server.url}/api/holds`, { body: { product_id: 1, qty: 1 } });
    const allowed = [];
    for (let i = 0; i < 20; i++) allowed.push(await hold());
    expect(allowed.map((r) => r.status)).toEqual(Array(20).fill(201));
    // Each worker alone saw about 10: a per-process limit would let the next ones through.
    expect(new Set(allowed.map((r) => r.headers[WORKER_HEADER]))).toEqual(new Set(['1', '2']));

    const refused = [];
    for (let i = 0; i < 4; i++) refused.push(await hold());
    expect(refused.map((r) => r.status)).toEqual([429, 429, 429, 429]);
    expect(new Set(refused.map((r) => r.headers[WORKER_HEADER]))).toEqual(new Set(['1', '2']));
    for (const res of refused) {
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 429, code: 'rate_limited' });
      expect(res.headers['ratelimit-policy']).toBe('"holds";q=20;w=60');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }

    // Only the 20 allowed holds took stock.
    expect((await requestOnce(`${server.url}/api/products/1`)).body).toMatchObject({ available_stock: 30 });
  });

  it('refuses the 6th failed admin-token attempt from one client, though its guesses landed on both workers', async () => {
    const guess = (token: string) =>
      requestOnce(`${server.url}/api/admin/products`, { body: { name: 'P', price: '1.00', stock: 1 }, headers: { Authorization: `Bearer ${token}` } });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await guess(`guess-${i}`));
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(new Set(answers.slice(0, 5).map((r) => r.headers[WORKER_HEADER]))).toEqual(new Set(['1', '2']));
    expect(answers[5]!.body).toMatchObject({ code: 'rate_limited' });
    expect(answers[5]!.headers['ratelimit-policy']).toBe('"admin-auth";q=5;w=60');
  });

  it('SIGTERM stops it with exit 0', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});

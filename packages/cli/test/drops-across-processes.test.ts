import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningCli } from './helpers/cli-process.js';
import { DATABASE_KINDS, freshSqlite, type TestDatabase } from './helpers/databases.js';
import { requestOnce } from './helpers/http-once.js';

/**
 * Drops with real processes: `flashsale serve --workers 2` (two processes on one database) and
 * `flashsale products:update` from a third. The limit and the window are decided in the store,
 * so no worker's memory can let a buyer past the limit or sell outside the window.
 */

const WORKER_HEADER = 'flashsale-worker';

async function stopServer(server: RunningCli | undefined): Promise<void> {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

/** Each on a connection of its own, so the cluster primary spreads them over both workers. */
function holdsAtOnce(url: string, count: number, body: Record<string, unknown>) {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const res = await requestOnce(`${url}/api/holds`, { body });
      return { status: res.status, code: (res.body as { code?: string }).code, worker: res.headers[WORKER_HEADER] as string | undefined };
    }),
  );
}

async function createProduct(db: string, flags: string[]): Promise<number> {
  const created = await runCli(['products:create', '--db', db, '--name', 'Drop', '--price', '25', '--stock', '100', ...flags, '--json']);
  expect(created.code, created.stderr).toBe(0);
  return (JSON.parse(created.stdout) as { id: number }).id;
}

describe.each(DATABASE_KINDS)('drops with serve --workers 2 on $kind', ({ fresh }) => {
  let database: TestDatabase;
  let server: RunningCli;

  beforeAll(async () => {
    database = fresh();
    server = await startServe(['--workers', '2', '--port', '0', '--db', database.db, '--no-rate-limit', '--pool-size', '5', '--no-request-log']);
  });
  afterAll(async () => {
    await stopServer(server);
    await database?.dispose();
  });

  it('gives one buyer exactly 2 of 200 concurrent one-unit holds at a limit of 2, answered by both workers', async () => {
    const id = await createProduct(database.db, ['--max-per-buyer', '2']);
    const answers = await holdsAtOnce(server.url, 200, { product_id: id, qty: 1, buyer_id: 'scalper-1' });
    const count = (status: number, code?: string) => answers.filter((a) => a.status === status && (code === undefined || a.code === code)).length;
    expect({ granted: count(201), refused: count(409, 'buyer_limit_exceeded') }).toEqual({ granted: 2, refused: 198 });
    expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(['1', '2']));
    const product = await requestOnce(`${server.url}/api/products/${id}`);
    expect(product.body).toMatchObject({ available_stock: 98, max_per_buyer: 2 });
    const verified = await runCli(['verify', '--db', database.db, '--json']);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, violations: [] });
  });

  it('sees a window that products:update sets and clears from another process at the next hold, on every worker', async () => {
    const id = await createProduct(database.db, []);
    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await runCli(['products:update', '--db', database.db, '--product', String(id), '--starts-at', startsAt, '--json']);
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(JSON.parse(scheduled.stdout)).toMatchObject({ sale_starts_at: startsAt, sale_status: 'scheduled' });

    const early = await holdsAtOnce(server.url, 20, { product_id: id, qty: 1 });
    expect(early.map((a) => a.code)).toEqual(Array(20).fill('sale_not_started'));
    expect(new Set(early.map((a) => a.worker))).toEqual(new Set(['1', '2']));

    const opened = await runCli(['products:update', '--db', database.db, '--product', String(id), '--starts-at', 'none']);
    expect(opened.code, opened.stderr).toBe(0);
    const live = await holdsAtOnce(server.url, 20, { product_id: id, qty: 1 });
    expect(live.map((a) => a.status)).toEqual(Array(20).fill(201));
    expect(new Set(live.map((a) => a.worker))).toEqual(new Set(['1', '2']));
  });
});

describe('serve --buyer-jwt-key', () => {
  let dir: string;
  let database: TestDatabase;
  let server: RunningCli;
  const secret = 'a-buyer-secret-for-the-cli-test-of-at-least-32-bytes';

  /** An HS256 JWT signed by hand: the test checks the server's verification, not jose's signing. */
  const sign = (claims: Record<string, unknown>) => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
    return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flashsale-jwt-'));
    writeFileSync(join(dir, 'buyer.key'), `${secret}\n`);
    database = freshSqlite();
    server = await startServe(['--port', '0', '--db', database.db, '--no-rate-limit', '--buyer-jwt-key', join(dir, 'buyer.key'), '--buyer-jwt-issuer', 'https://shop.example']);
  });
  afterAll(async () => {
    await stopServer(server);
    await database?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the buyer from a verified token, says so at start-up, and refuses holds without one', async () => {
    expect(server.messages()).toMatch(/buyers from verified JWTs \(an HS256 secret, issuer https:\/\/shop\.example\)/);
    const id = await createProduct(database.db, ['--max-per-buyer', '1']);
    const exp = Math.floor(Date.now() / 1000) + 300;
    const token = sign({ sub: 'customer-7', iss: 'https://shop.example', exp });
    const hold = (headers: Record<string, string>, body: Record<string, unknown> = {}) => requestOnce(`${server.url}/api/holds`, { body: { product_id: id, qty: 1, ...body }, headers });
    expect((await hold({})).status).toBe(401);
    expect((await hold({ authorization: `Bearer ${sign({ sub: 'customer-7', iss: 'https://other.example', exp })}` })).status).toBe(401);
    expect((await hold({ authorization: `Bearer ${token}` }, { buyer_id: 'customer-8' })).status).toBe(403);
    expect((await hold({ authorization: `Bearer ${token}` })).status).toBe(201);
    expect(await hold({ authorization: `Bearer ${token}` }, { buyer_id: 'customer-7' })).toMatchObject({ status: 409, body: { code: 'buyer_limit_exceeded' } });
    expect(server.output().stdout).not.toContain(secret);
  });

  it('refuses with exit 2 a key file that cannot be read or holds no usable key', async () => {
    writeFileSync(join(dir, 'short.key'), 'too-short');
    const missing = await runCli(['serve', '--db', ':memory:', '--port', '0', '--buyer-jwt-key', join(dir, 'nope.key')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: --buyer-jwt-key: cannot read .*nope\.key \(ENOENT\)$/m);
    const short = await runCli(['serve', '--db', ':memory:', '--port', '0', '--buyer-jwt-key', join(dir, 'short.key')]);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('error: --buyer-jwt-key: an HS256 buyer secret must be at least 32 bytes, got 9');
    const orphan = await runCli(['serve', '--db', ':memory:', '--port', '0', '--buyer-jwt-audience', 'shop']);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain('--buyer-jwt-audience need --buyer-jwt-key');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type RunningCli } from './helpers/cli-process.js';
import { DATABASE_KINDS, type TestDatabase } from './helpers/databases.js';

/**
 * The buyer's side of a hold raced across real processes, on the real clock: two `flashsale
 * serve` processes on one database (SQLite file, PostgreSQL schema): A answers the buyers, B runs
 * its sweeper every 20 ms; and `flashsale holds:release` runs as cron would. Requests are spread
 * over the moment the holds expire, so either side may win each one; every check holds whichever
 * does, and the split is printed.
 */

const ADMIN = 'hold-lifecycle-processes-admin';
const admin = { authorization: `Bearer ${ADMIN}` };
const HOLD_TTL_MS = 3_000;
const HOLDS = 30;
const COMMON = ['--port', '0', '--no-rate-limit', '--no-request-log', '--admin-token', ADMIN, '--hold-ttl', `${HOLD_TTL_MS}ms`, '--hold-max-lifetime', '1h'];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(server: RunningCli, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

interface Hold {
  hold_id: number;
  token: string;
  expires_at: string;
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

describe.each(DATABASE_KINDS)('hold lifecycle across processes on $kind', ({ kind, fresh }) => {
  let database: TestDatabase;
  let a: RunningCli;
  let b: RunningCli;

  beforeAll(async () => {
    database = fresh();
    a = await startServe([...COMMON, '--db', database.db, '--sweep-interval', '1h']);
    b = await startServe([...COMMON, '--db', database.db, '--sweep-interval', '20ms', '--no-seed']);
  }, 60_000);
  afterAll(async () => {
    for (const server of [a, b]) {
      if (server && server.child.exitCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
    await database?.dispose();
  });

  async function product(stock: number): Promise<number> {
    const created = await call(a, 'POST', '/api/admin/products', { name: 'Drop', price: '10.00', stock }, admin);
    expect(created.status).toBe(201);
    return created.body.id as number;
  }

  async function holds(productId: number, count: number): Promise<Hold[]> {
    const answers = await Promise.all(Array.from({ length: count }, () => call(a, 'POST', '/api/holds', { product_id: productId, qty: 1 })));
    expect(answers.map((r) => r.status)).toEqual(Array(count).fill(201));
    return answers.map((r) => r.body as unknown as Hold);
  }

  /** Sends `send(hold)` for each hold at a moment spread over `spreadMs` around its expiry, two thirds before. */
  function aroundExpiry(list: Hold[], send: (hold: Hold) => Promise<Answer>, spreadMs = 300): Promise<Answer[]> {
    return Promise.all(list.map(async (hold, i) => {
      await sleepUntil(Date.parse(hold.expires_at) - (spreadMs * 2) / 3 + ((i % 10) * spreadMs) / 10);
      return send(hold);
    }));
  }

  const available = async (productId: number) => (await call(a, 'GET', `/api/products/${productId}`)).body.available_stock as number;

  /** Waits until the product's stock reads `expected` (B's sweeper catching up), then checks it stays so. */
  async function settlesAt(productId: number, expected: number): Promise<void> {
    for (let i = 0; i < 100 && (await available(productId)) !== expected; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await available(productId)).toBe(expected);
  }

  const read = (hold: Hold) => call(a, 'GET', `/api/holds/${hold.hold_id}`, undefined, { 'hold-token': hold.token });

  const verified = async () => {
    const result = await runCli(['verify', '--db', database.db, '--json']);
    expect({ code: result.code, stdout: result.stdout }).toMatchObject({ code: 0 });
  };

  it("release on A against B's sweeper, around the holds' expiry: each hold's stock comes back once", async () => {
    const id = await product(HOLDS);
    const list = await holds(id, HOLDS);
    const answers = await aroundExpiry(list, (hold) => call(a, 'POST', `/api/holds/${hold.hold_id}/release`, { token: hold.token }));
    const released = answers.filter((r) => r.status === 200).length;
    console.log(`[races] ${kind}: release on A vs the sweeper of B, ${HOLDS} holds: ${released} releases won, ${HOLDS - released} expired by the sweeper`);
    expect(answers.filter((r) => r.status !== 200).map((r) => [r.status, r.body.code])).toEqual(Array(HOLDS - released).fill([400, 'hold_expired']));
    await settlesAt(id, HOLDS);
    for (const [i, hold] of list.entries()) expect((await read(hold)).body.status).toBe(answers[i]!.status === 200 ? 'released' : 'expired');
    await verified();
  }, 60_000);

  it("extend on A against B's sweeper, around the holds' expiry: no extension that answered 200 is undone", async () => {
    const id = await product(HOLDS);
    const list = await holds(id, HOLDS);
    const answers = await aroundExpiry(list, (hold) => call(a, 'POST', `/api/holds/${hold.hold_id}/extend`, { token: hold.token }));
    const extended = answers.filter((r) => r.status === 200).length;
    console.log(`[races] ${kind}: extend on A vs the sweeper of B, ${HOLDS} holds: ${extended} extensions won, ${HOLDS - extended} expired by the sweeper`);
    // Read at once: every extension moved its hold about 3 s past the race.
    for (const [i, hold] of list.entries()) {
      const answer = answers[i]!;
      const seen = (await read(hold)).body;
      if (answer.status === 200) expect(seen).toMatchObject({ status: 'active', expires_at: answer.body.expires_at });
      else expect([answer.status, answer.body.code, seen.status]).toEqual([400, 'hold_expired', 'expired']);
    }
    await settlesAt(id, HOLDS - extended);
    await verified();
  }, 60_000);

  it('release against an order on the other process, for the same hold: exactly one wins each', async () => {
    const id = await product(HOLDS);
    const list = await holds(id, HOLDS);
    // Each hold's release and order go to different processes, which process gets which alternating.
    const races = await Promise.all(
      list.map((hold, i) => {
        const [releaseOn, orderOn] = i % 2 ? [a, b] : [b, a];
        return Promise.all([call(releaseOn, 'POST', `/api/holds/${hold.hold_id}/release`, { token: hold.token }), call(orderOn, 'POST', '/api/orders', { hold_id: hold.hold_id, token: hold.token })]);
      }),
    );
    const released = races.filter(([release]) => release.status === 200).length;
    console.log(`[races] ${kind}: release vs order on the other process, ${HOLDS} holds: ${released} releases won, ${HOLDS - released} orders won`);
    for (const [release, order] of races) {
      if (release.status === 200) expect([order.status, order.body.code]).toEqual([400, 'hold_released']);
      else expect([release.body.code, order.status]).toEqual(['hold_used', 201]);
    }
    expect(await available(id)).toBe(released);
    await verified();
  }, 60_000);

  it('20 releases of one hold, half on A and half on B, at once: every one 200, the stock back once', async () => {
    const id = await product(2);
    const [hold] = await holds(id, 1);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => call(i % 2 ? b : a, 'POST', `/api/holds/${hold!.hold_id}/release`, { token: hold!.token })));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((r) => JSON.stringify(r.body)))).toEqual(new Set([JSON.stringify({ hold_id: hold!.hold_id, status: 'released', qty: 1 })]));
    expect(await available(id)).toBe(2);
  }, 60_000);
});

/** `flashsale holds:release` as cron runs it, beside a server that sweeps nothing itself. */
describe.each(DATABASE_KINDS)('release against `flashsale holds:release` on $kind', ({ kind, fresh }) => {
  let database: TestDatabase;
  let a: RunningCli;
  beforeAll(async () => {
    database = fresh();
    a = await startServe([...COMMON, '--db', database.db, '--sweep-interval', '1h']);
  }, 60_000);
  afterAll(async () => {
    if (a && a.child.exitCode === null) {
      a.child.kill('SIGTERM');
      await a.exited;
    }
    await database?.dispose();
  });

  it("releases on the server and holds:release processes around the holds' expiry: each hold's stock comes back once", async () => {
    const created = await call(a, 'POST', '/api/admin/products', { name: 'Drop', price: '10.00', stock: HOLDS }, admin);
    const id = created.body.id as number;
    const answers201 = await Promise.all(Array.from({ length: HOLDS }, () => call(a, 'POST', '/api/holds', { product_id: id, qty: 1 })));
    const list = answers201.map((r) => r.body as unknown as Hold);
    const expiry = Date.parse(list[0]!.expires_at);
    // Three cron-like loops, each running one holds:release after the other from well before the
    // expiry (a process takes a moment to start) to after the last release request.
    const until = expiry + 900;
    const loops = [0, 1, 2].map(async (n) => {
      await sleepUntil(expiry - 1_500 + n * 200);
      let released = 0;
      let runs = 0;
      while (Date.now() < until) {
        const result = await runCli(['holds:release', '--db', database.db, '--json']);
        expect(result.code).toBe(0);
        released += (JSON.parse(result.stdout) as { holds: number }).holds;
        runs++;
      }
      return { released, runs };
    });
    const answers = await Promise.all(list.map(async (hold, i) => {
      await sleepUntil(Date.parse(hold.expires_at) - 400 + (i % 10) * 80);
      return call(a, 'POST', `/api/holds/${hold.hold_id}/release`, { token: hold.token });
    }));
    const passes = await Promise.all(loops);
    const cron = passes.reduce((sum, p) => sum + p.released, 0);
    const final = await runCli(['holds:release', '--db', database.db, '--json']);
    const leftover = (JSON.parse(final.stdout) as { holds: number }).holds;
    const released = answers.filter((r) => r.status === 200).length;
    console.log(
      `[races] ${kind}: release vs ${passes.reduce((sum, p) => sum + p.runs, 0)} holds:release processes, ${HOLDS} holds: ${released} releases won, the passes released ${cron} during the race and ${leftover} after`,
    );
    expect(released + cron + leftover).toBe(HOLDS);
    expect(answers.filter((r) => r.status !== 200).map((r) => r.body.code)).toEqual(Array(HOLDS - released).fill('hold_expired'));
    expect((await call(a, 'GET', `/api/products/${id}`)).body.available_stock).toBe(HOLDS);
    for (const [i, hold] of list.entries()) {
      const seen = await call(a, 'GET', `/api/holds/${hold.hold_id}`, undefined, { 'hold-token': hold.token });
      expect(seen.body.status).toBe(answers[i]!.status === 200 ? 'released' : 'expired');
    }
    const verify = await runCli(['verify', '--db', database.db, '--json']);
    expect(verify.code).toBe(0);
  }, 60_000);
});

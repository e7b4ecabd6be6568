import { createFlashSale, type FlashSale } from '@flashsale/core';
import { manualClock } from '@flashsale/core/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createMetrics, serve, startSweeper, type RunningServer } from '../src/index.js';
import { BACKENDS, type OpenedStore } from './support/backends.js';

/**
 * The buyer's side of a hold raced over real HTTP, through serve(), on SQLite and PostgreSQL:
 * every request of a race is sent at once, and the checks hold whichever side wins each one.
 * The rows are read back with SQL, behind the engine's back. Counts are printed for the record.
 */

const TTL = 60_000;
const START = Date.UTC(2026, 0, 1, 12);

interface Hold {
  hold_id: number;
  token: string;
}

describe.each(BACKENDS)('hold lifecycle races over HTTP, on $name', (backend) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** serve() on a fresh store with the buyer's clock 1 ms before every hold's expiry, and `holds` holds of `qty`. */
  async function sale(holds: number, qty: number) {
    const db = await backend.open();
    cleanups.push(() => db.destroy());
    const clock = manualClock(START);
    const metrics = createMetrics();
    const engine = createFlashSale({ store: db.store, clock, holdTtlMs: TTL, holdMaxLifetimeMs: 10 * TTL, onEvent: metrics.onEvent });
    const server = await serve({ engine, metrics, port: 0, logger: false, rateLimit: false, sweeper: false });
    cleanups.push(() => server.close());
    const product = await engine.createProduct({ name: 'Drop', price: '10.00', stock: holds * qty });
    const created: Hold[] = [];
    for (let i = 0; i < holds; i++) created.push(await post<Hold>(server, '/api/holds', { product_id: product.id, qty }).then((r) => r.body));
    clock.advance(TTL - 1);
    return { db, engine, server, metrics, clock, productId: product.id, holds: created };
  }

  /**
   * Another engine on the same database whose clock is at the holds' expiry, sweeping without
   * pause from the moment `start` is called (once some requests of the race were answered, so
   * that both sides get to win some).
   */
  function sweeperAtExpiry(db: OpenedStore) {
    const pass = createFlashSale({ store: db.store, clock: manualClock(START + TTL), holdTtlMs: TTL, releaseBatch: 5 });
    let released = 0;
    let sweeper: ReturnType<typeof startSweeper> | undefined;
    return {
      pass,
      start: () => void (sweeper ??= startSweeper(pass, { intervalMs: 1, onRun: (summary) => void (released += summary.holds) })),
      stop: async () => (await sweeper?.stop(), released),
    };
  }

  /** Sends `send(hold)` for every hold at once, and starts `sweeper` when `after` answers have come back. */
  function raceSweeper<T>(holds: Hold[], sweeper: { start(): void }, after: number, send: (hold: Hold) => Promise<T>): Promise<T[]> {
    let answered = 0;
    const race = Promise.all(holds.map((hold) => send(hold).then((answer) => (++answered === after && sweeper.start(), answer))));
    if (after === 0) sweeper.start();
    return race;
  }
  // SQLite runs one unit at a time in this process: a sweeper started with the requests would
  // release every hold before the first request reached the store. PostgreSQL runs them side by side.
  const SWEEP_AFTER = backend.name === 'sqlite' ? 10 : 0;

  const available = async (db: OpenedStore, productId: number) => Number(((await db.rows(`SELECT available FROM products WHERE id = ${productId}`))[0] as { available: unknown }).available);
  const statuses = async (db: OpenedStore) =>
    new Map(((await db.rows('SELECT id, status FROM holds')) as { id: unknown; status: string }[]).map((r) => [Number(r.id), r.status]));

  test.skipIf(!backend.available)('release against an order on the same hold, 30 holds, 60 requests at once: exactly one wins each', async () => {
    const { db, server, productId, holds } = await sale(30, 2);
    // Sent in both orders (release first for even holds, order first for odd ones): where the
    // store runs one unit at a time, arrival decides, and each side must get to win.
    const races = await Promise.all(
      holds.map(async (h, i) => {
        const release = () => post(server, `/api/holds/${h.hold_id}/release`, { token: h.token });
        const order = () => post(server, '/api/orders', { hold_id: h.hold_id, token: h.token });
        return i % 2 === 0 ? Promise.all([release(), order()]) : Promise.all([order(), release()]).then(([o, r]) => [r, o] as const);
      }),
    );
    const released = races.filter(([release]) => release.status === 200).length;
    const ordered = races.filter(([, order]) => order.status === 201).length;
    console.log(`[races] ${backend.name}: release vs order on 30 holds: ${released} releases won, ${ordered} orders won`);
    expect(released + ordered).toBe(30);
    for (const [release, order] of races) {
      if (release.status === 200) expect([order.status, order.body.code]).toEqual([400, 'hold_released']);
      else expect([release.status, release.body.code, order.status]).toEqual([400, 'hold_used', 201]);
    }
    const rows = await statuses(db);
    holds.forEach((h, i) => expect(rows.get(h.hold_id)).toBe(races[i]![0].status === 200 ? 'released' : 'converted'));
    expect(await available(db, productId)).toBe(60 - 2 * ordered);
    expect(await db.rows('SELECT id FROM orders')).toHaveLength(ordered);
  });

  test.skipIf(!backend.available)('20 releases of one hold at once: every one 200 with the same body, the stock back once', async () => {
    const { db, server, metrics, productId, holds } = await sale(1, 3);
    const [hold] = holds;
    const answers = await Promise.all(Array.from({ length: 20 }, () => post(server, `/api/holds/${hold!.hold_id}/release`, { token: hold!.token })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => JSON.stringify(a.body)))).toEqual(new Set([JSON.stringify({ hold_id: hold!.hold_id, status: 'released', qty: 3 })]));
    expect(await available(db, productId)).toBe(3);
    expect(await metrics.render()).toMatch(/flashsale_stock_released_units_total\{cause="released"\} 3\n/);
  });

  test.skipIf(!backend.available)("release against another engine's sweeper at the holds' expiry, 40 holds: each one's stock comes back once", async () => {
    const { db, server, engine, productId, holds } = await sale(40, 1);
    const sweeper = sweeperAtExpiry(db);
    const answers = await raceSweeper(holds, sweeper, SWEEP_AFTER, (h) => post(server, `/api/holds/${h.hold_id}/release`, { token: h.token }));
    // Whatever the sweeper has not released yet is still due: one more pass after the race.
    const swept = (await sweeper.stop()) + (await sweeper.pass.releaseExpired()).holds;
    const released = answers.filter((a) => a.status === 200).length;
    console.log(`[races] ${backend.name}: release vs sweeper on 40 holds: ${released} releases won, ${swept} expired by the sweeper`);
    expect(released + swept).toBe(40);
    expect(answers.filter((a) => a.status !== 200).map((a) => [a.status, a.body.code])).toEqual(Array(40 - released).fill([400, 'hold_expired']));
    const rows = await statuses(db);
    holds.forEach((h, i) => expect(rows.get(h.hold_id)).toBe(answers[i]!.status === 200 ? 'released' : 'expired'));
    expect(await available(db, productId)).toBe(40);
    expect((await engine.verify()).violations).toEqual([]);
  });

  test.skipIf(!backend.available)("extend against another engine's sweeper at the holds' expiry, 40 holds: no extension that answered 200 is undone", async () => {
    const { db, server, engine, productId, holds } = await sale(40, 1);
    const sweeper = sweeperAtExpiry(db);
    const answers = await raceSweeper(holds, sweeper, SWEEP_AFTER, (h) => post<{ expires_at?: string; code?: string }>(server, `/api/holds/${h.hold_id}/extend`, { token: h.token }));
    const swept = (await sweeper.stop()) + (await sweeper.pass.releaseExpired()).holds;
    const extended = answers.filter((a) => a.status === 200);
    console.log(`[races] ${backend.name}: extend vs sweeper on 40 holds: ${extended.length} extensions won, ${swept} expired by the sweeper`);
    expect(extended.length + swept).toBe(40);
    const rows = (await db.rows('SELECT id, status, expires_at FROM holds')) as { id: unknown; status: string; expires_at: unknown }[];
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    holds.forEach((h, i) => {
      const answer = answers[i]!;
      const row = byId.get(h.hold_id)!;
      if (answer.status === 200) expect([row.status, new Date(Number(row.expires_at)).toISOString()]).toEqual(['active', answer.body.expires_at]);
      else expect([answer.status, answer.body.code, row.status]).toEqual([400, 'hold_expired', 'expired']);
    });
    expect(await available(db, productId)).toBe(40 - extended.length);
    await expectNoPassReleases(sweeper.pass);
    expect((await engine.verify()).violations).toEqual([]);
  });
});

/** A pass at the holds' first expiry finds nothing more to release. */
async function expectNoPassReleases(pass: FlashSale): Promise<void> {
  expect(await pass.releaseExpired()).toMatchObject({ holds: 0 });
}

async function post<T = Record<string, unknown>>(server: RunningServer, path: string, body: unknown): Promise<{ status: number; body: T & { code?: string } }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T & { code?: string } };
}

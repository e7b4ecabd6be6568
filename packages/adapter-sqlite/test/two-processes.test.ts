import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFlashSale } from '@flashsale/core';
import { afterEach, describe, expect, it } from 'vitest';
import { listMigrations, openSqliteStore } from '../src/index.js';
import { tempDatabase } from './temp-db.js';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./fixtures/race-worker.ts', import.meta.url));

/** Runs the worker in its own Node process, as a second server or cron job would be. */
async function raceInProcess(filename: string, productId: number, attempts: number, startAt: number, buyerId?: string) {
  const { stdout } = await run(process.execPath, ['--conditions=@flashsale/source', '--import', 'tsx', worker, filename, String(productId), String(attempts), String(startAt), ...(buyerId ? [buyerId] : [])], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  });
  return JSON.parse(stdout) as { granted: number; refusals: string[] };
}

describe('sqlite across separate processes', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

  it('grants exactly the stock when two processes race holds on one file', async () => {
    const db = tempDatabase();
    cleanups.push(db.remove);
    const setupSale = createFlashSale({ store: openSqliteStore({ filename: db.filename }) });
    const { id } = await setupSale.createProduct({ name: 'Hot sneaker', price: '120.00', stock: 300 });
    await setupSale.close();

    const startAt = Date.now() + 1_500;
    const [a, b] = await Promise.all([raceInProcess(db.filename, id, 400, startAt), raceInProcess(db.filename, id, 400, startAt)]);

    expect(a.granted + b.granted).toBe(300);
    expect([...a.refusals, ...b.refusals].every((code) => code === 'insufficient_stock')).toBe(true);
    const sale = createFlashSale({ store: openSqliteStore({ filename: db.filename }) });
    expect((await sale.getProduct(id)).availableStock).toBe(0);
    expect(await sale.verify()).toMatchObject({ ok: true, violations: [] });
    await sale.close();
  }, 60_000);

  it('never lets one buyer past a limit of 2 when two processes each race 200 one-unit holds for it', async () => {
    const db = tempDatabase();
    cleanups.push(db.remove);
    const setupSale = createFlashSale({ store: openSqliteStore({ filename: db.filename }) });
    const { id } = await setupSale.createProduct({ name: 'Drop', price: '180.00', stock: 300, maxPerBuyer: 2 });
    await setupSale.close();

    const startAt = Date.now() + 1_500;
    const [a, b] = await Promise.all([raceInProcess(db.filename, id, 200, startAt, 'scalper'), raceInProcess(db.filename, id, 200, startAt, 'scalper')]);

    expect(a.granted + b.granted).toBe(2);
    expect(new Set([...a.refusals, ...b.refusals])).toEqual(new Set(['buyer_limit_exceeded']));
    const sale = createFlashSale({ store: openSqliteStore({ filename: db.filename }) });
    expect((await sale.getProduct(id)).availableStock).toBe(298);
    expect(await sale.verify()).toMatchObject({ ok: true, violations: [] });
    await sale.close();
  }, 60_000);

  it('migrates a fresh file once when two processes open it at the same moment', async () => {
    const db = tempDatabase();
    cleanups.push(db.remove);
    const startAt = Date.now() + 1_000;
    // Product 1 does not exist yet: both workers only open (and so migrate) the file, then refuse.
    const results = await Promise.all([raceInProcess(db.filename, 1, 1, startAt), raceInProcess(db.filename, 1, 1, startAt)]);
    expect(results.flatMap((r) => r.refusals)).toEqual(['product_not_found', 'product_not_found']);
    const store = openSqliteStore({ filename: db.filename });
    expect(store.db.pragma('user_version', { simple: true })).toBe(listMigrations().at(-1)!.version);
    await store.close();
  }, 60_000);
});

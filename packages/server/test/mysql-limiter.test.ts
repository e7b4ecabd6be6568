import { randomBytes } from 'node:crypto';
import { openMysqlStore, type MysqlStore } from '@flashsale/adapter-mysql';
import { afterAll, describe, expect, test } from 'vitest';
import { mysqlLimiter, type MysqlConnectionLike, type MysqlPoolLike, type RateLimitState } from '../src/index.js';

/**
 * mysqlLimiter without a database (pools that record, fail or never answer), and on a real MySQL
 * or MariaDB when FLASHSALE_TEST_MYSQL_URL is set: two processes' pools sharing one count.
 */

const MYSQL_URL = process.env.FLASHSALE_TEST_MYSQL_URL || undefined;
const policy = { name: 'holds', points: 3, durationSec: 60 };

/** A pool whose connections accept CREATE TABLE and answer every other statement with `rest`. */
function fakePool(rest: (done: (error: Error | null, result?: unknown) => void) => void) {
  const statements: { sql: string; timeout?: number }[] = [];
  const ends: string[] = [];
  const connection: MysqlConnectionLike = {
    query(options, done) {
      statements.push({ sql: options.sql, ...(options.timeout === undefined ? {} : { timeout: options.timeout }) });
      if (options.sql.startsWith('CREATE TABLE')) done(null, []);
      else rest(done);
    },
    rollback: () => undefined,
    release: () => void ends.push('released'),
    destroy: () => void ends.push('destroyed'),
  };
  const pool: MysqlPoolLike = { getConnection: (callback) => callback(null, connection) };
  return { pool, statements, ends };
}

const coded = (code: string, extra: object = {}) => Object.assign(new Error(`failed with ${code}`), { code, ...extra });

async function consumeMany(limiter: { consume(key: string): Promise<RateLimitState> }, key: string, n: number) {
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    outcomes.push(await limiter.consume(key).then(() => 'allowed', (rejection: unknown) => (rejection instanceof Error ? `failed: ${rejection.message}` : 'refused')));
  }
  return outcomes;
}

describe('mysqlLimiter', () => {
  test('creates its table in the given database before it resolves, under a statement timeout', async () => {
    const { pool, statements, ends } = fakePool(() => {});
    await mysqlLimiter({ pool, database: 'shop' });
    expect(statements).toEqual([{ sql: expect.stringMatching(/^CREATE TABLE IF NOT EXISTS `shop`\.`flashsale_rate_limits` \(/), timeout: 5_000 }]);
    expect(ends).toEqual(['released']);
  });

  test('refuses a database or table name it would have to escape, before touching the database', async () => {
    const { pool, statements } = fakePool(() => {});
    await expect(mysqlLimiter({ pool, database: 'shop`; DROP TABLE x; --' })).rejects.toThrow(RangeError);
    await expect(mysqlLimiter({ pool, database: 'shop', tableName: 'rate-limits' })).rejects.toThrow(RangeError);
    await expect(mysqlLimiter({ pool, database: 'shop', timeoutMs: 0 })).rejects.toThrow(RangeError);
    expect(statements).toEqual([]);
  });

  test('counts in this process when MySQL fails, so the limit still holds here', async () => {
    const { pool } = fakePool((done) => done(coded('ECONNREFUSED', { fatal: true })));
    const limiter = (await mysqlLimiter({ pool, database: 'shop' }))(policy);
    expect(await consumeMany(limiter, '10.0.0.1', 5)).toEqual(['allowed', 'allowed', 'allowed', 'refused', 'refused']);
  });

  test('counts in this process when MySQL does not answer within timeoutMs, and destroys a connection whose statement timed out', async () => {
    const { pool, ends } = fakePool((done) => setTimeout(() => done(coded('PROTOCOL_SEQUENCE_TIMEOUT')), 100));
    const limiter = (await mysqlLimiter({ pool, database: 'shop', timeoutMs: 20 }))(policy);
    expect(await consumeMany(limiter, '10.0.0.1', 4)).toEqual(['allowed', 'allowed', 'allowed', 'refused']);
    await new Promise((resolve) => setTimeout(resolve, 150));
    // The table's connection went back to the pool; every one whose statement timed out was destroyed.
    expect(ends[0]).toBe('released');
    expect(ends.slice(1).length).toBeGreaterThan(0);
    expect(new Set(ends.slice(1))).toEqual(new Set(['destroyed']));
  });
});

describe.skipIf(!MYSQL_URL)('mysqlLimiter on a real server', () => {
  const stores: MysqlStore[] = [];
  afterAll(async () => {
    const database = stores[0]?.database;
    if (database && process.env.FLASHSALE_TEST_MYSQL_KEEP !== '1') await stores[0]!.pool.query(`DROP DATABASE \`${database}\``);
    for (const store of stores) await store.close();
  });

  test('two pools on one database share one count per client, as two server processes would', async () => {
    const url = new URL(MYSQL_URL!);
    url.pathname = `/fs_${randomBytes(6).toString('hex')}`;
    const a = await openMysqlStore({ uri: url.toString(), poolSize: 2 });
    const b = await openMysqlStore({ uri: url.toString(), poolSize: 2, migrate: false });
    stores.push(a, b);
    const [first, second] = await Promise.all([a, b].map((store) => mysqlLimiter({ pool: store.pool.pool, database: store.database })));
    const outcomes = [
      ...(await consumeMany(first!(policy), '10.0.0.7', 2)),
      ...(await consumeMany(second!(policy), '10.0.0.7', 2)),
    ];
    expect(outcomes).toEqual(['allowed', 'allowed', 'allowed', 'refused']);
    expect(await consumeMany(second!(policy), '10.0.0.8', 1)).toEqual(['allowed']);
  });
});

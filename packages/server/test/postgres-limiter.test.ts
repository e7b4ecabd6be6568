import { describe, expect, test } from 'vitest';
import { postgresLimiter, type PgPoolLike, type RateLimitState } from '../src/index.js';

/**
 * postgresLimiter without a database: pools that record, fail or never answer. Sharing counts
 * across processes on a real PostgreSQL is proven by the CLI's `serve --workers` tests.
 */

const policy = { name: 'holds', points: 3, durationSec: 60 };

/** A pool that accepts CREATE TABLE and answers every other query with `rest`. */
function fakePool(rest: () => Promise<unknown>): PgPoolLike & { texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    query(query: string | { text: string }) {
      const text = typeof query === 'string' ? query : query.text;
      texts.push(text);
      return text.startsWith('CREATE TABLE') ? Promise.resolve({ rows: [] }) : rest();
    },
  } as PgPoolLike & { texts: string[] };
}

const coded = (code: string) => Object.assign(new Error(`failed with ${code}`), { code });

/** Consumes `n` points for `key` and reports each outcome: allowed, refused (a limiter result) or failed (an Error). */
async function consumeMany(limiter: { consume(key: string): Promise<RateLimitState> }, key: string, n: number) {
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    outcomes.push(
      await limiter.consume(key).then(
        () => 'allowed',
        (rejection: unknown) => (rejection instanceof Error ? `failed: ${rejection.message}` : 'refused'),
      ),
    );
  }
  return outcomes;
}

describe('postgresLimiter', () => {
  test('creates its table in the given schema before it resolves', async () => {
    const pool = fakePool(() => new Promise(() => {}));
    await postgresLimiter({ pool, schema: 'shop' });
    expect(pool.texts).toEqual([expect.stringMatching(/^CREATE TABLE IF NOT EXISTS "shop"\."flashsale_rate_limits" \(/)]);
  });

  test('refuses a schema or table name it would have to escape, before touching the database', async () => {
    const pool = fakePool(() => Promise.resolve({ rows: [] }));
    await expect(postgresLimiter({ pool, schema: 'shop"; DROP TABLE x; --' })).rejects.toThrow(RangeError);
    await expect(postgresLimiter({ pool, tableName: 'Limits' })).rejects.toThrow(RangeError);
    await expect(postgresLimiter({ pool, timeoutMs: 0 })).rejects.toThrow(RangeError);
    expect(pool.texts).toEqual([]);
  });

  test('a table another process created at the same moment is fine; any other failure is reported', async () => {
    for (const code of ['23505', '42P07']) {
      const racing: PgPoolLike = { query: () => Promise.reject(coded(code)) };
      await expect(postgresLimiter({ pool: racing })).resolves.toBeTypeOf('function');
    }
    const forbidden: PgPoolLike = { query: () => Promise.reject(coded('42501')) };
    await expect(postgresLimiter({ pool: forbidden })).rejects.toThrow('failed with 42501');
  });

  test('counts in this process when PostgreSQL fails, so the limit still holds here', async () => {
    const create = await postgresLimiter({ pool: fakePool(() => Promise.reject(coded('ECONNREFUSED'))) });
    const limiter = create(policy);
    expect(await consumeMany(limiter, '10.0.0.1', 5)).toEqual(['allowed', 'allowed', 'allowed', 'refused', 'refused']);
    expect(await consumeMany(limiter, '10.0.0.2', 1)).toEqual(['allowed']);
  });

  test('counts in this process when PostgreSQL does not answer within timeoutMs, instead of stalling requests', async () => {
    const create = await postgresLimiter({ pool: fakePool(() => new Promise(() => {})), timeoutMs: 20 });
    expect(await consumeMany(create(policy), '10.0.0.1', 4)).toEqual(['allowed', 'allowed', 'allowed', 'refused']);
  });
});

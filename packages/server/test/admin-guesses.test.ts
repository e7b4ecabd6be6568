import type { IncomingMessage } from 'node:http';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { describe, expect, test } from 'vitest';
import { DEFAULT_ADMIN_FAILURES, type LimiterFactory, type RateLimitPolicy } from '../src/index.js';
import { expectProblem, harness, type Harness } from './helpers.js';

/**
 * Guessing the admin token is rate-limited per client: 5 failed attempts per minute, then 429
 * with Retry-After for every admin request of that client, its next guess never tried. Other
 * clients, the real admin among them, are not limited by someone else's failures.
 */

const TOKEN = 'correct-horse-battery-staple';
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } as unknown as IncomingMessage });

function create(h: Harness, address: string, token: string) {
  return h.app.request(
    '/api/admin/products',
    { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"name":"P","price":"1.00","stock":1}' },
    from(address),
  );
}

describe('failed admin-token attempts', () => {
  test(`${DEFAULT_ADMIN_FAILURES} wrong tokens are 401; the next request of that client is 429 with Retry-After, even with the right token`, async () => {
    const h = harness({ adminToken: TOKEN, rateLimit: {} });
    const statuses = [];
    for (let i = 0; i < DEFAULT_ADMIN_FAILURES; i++) statuses.push((await create(h, '10.0.0.66', `guess-${i}`)).status);
    expect(statuses).toEqual(Array(DEFAULT_ADMIN_FAILURES).fill(401));

    const limited = await create(h, '10.0.0.66', 'guess-next');
    const problem = await expectProblem(limited, 429, 'rate_limited');
    expect(problem.detail).toMatch(/^Too many failed admin-token attempts: at most 5 per 60 s\. Retry in \d+ s\.$/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-policy')).toBe('"admin-auth";q=5;w=60');
    // Blocked means blocked: a right guess would otherwise stand out from the 429s.
    await expectProblem(await create(h, '10.0.0.66', TOKEN), 429, 'rate_limited');
    await expectProblem(await h.app.request('/api/admin/products/1/restock', { method: 'POST' }, from('10.0.0.66')), 429, 'rate_limited');
    expect((await h.store.auditSnapshot()).products).toEqual([]);
  });

  test("the right token from another client is never limited by someone else's failures", async () => {
    const h = harness({ adminToken: TOKEN, rateLimit: {} });
    for (let i = 0; i < 20; i++) await create(h, '10.0.0.66', `guess-${i}`);
    const admin = [];
    for (let i = 0; i < 20; i++) admin.push((await create(h, '10.0.0.1', TOKEN)).status);
    expect(admin).toEqual(Array(20).fill(201));
  });

  test('a right token is not a failure: the admin may make any number of requests, and a few typos', async () => {
    const h = harness({ adminToken: TOKEN, rateLimit: {} });
    const statuses = [];
    for (let i = 0; i < 30; i++) statuses.push((await create(h, '10.0.0.1', i % 10 === 0 ? 'typo' : TOKEN)).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 201)).toHaveLength(27);
  });

  test('guesses sent all at once are charged before they are checked: only 5 are ever tried', async () => {
    const h = harness({ adminToken: TOKEN, rateLimit: {} });
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => create(h, '10.0.0.66', i === 39 ? TOKEN : `guess-${i}`)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(DEFAULT_ADMIN_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - DEFAULT_ADMIN_FAILURES);
    expect((await h.store.auditSnapshot()).products).toEqual([]);
  });

  test('counted by createLimiter, the store of the other limits: failures on one server count on another', async () => {
    // Two apps on one limiter store, as two workers share the cluster primary or PostgreSQL.
    const shared = new Map<string, RateLimiterMemory>();
    const policies: RateLimitPolicy[] = [];
    const createLimiter: LimiterFactory = (policy) => {
      policies.push(policy);
      if (!shared.has(policy.name)) shared.set(policy.name, new RateLimiterMemory({ points: policy.points, duration: policy.durationSec, keyPrefix: policy.name }));
      return shared.get(policy.name)!;
    };
    const [one, two] = [harness({ adminToken: TOKEN, rateLimit: { createLimiter } }), harness({ adminToken: TOKEN, rateLimit: { createLimiter } })];
    for (let i = 0; i < 3; i++) expect((await create(one!, '10.0.0.66', `guess-${i}`)).status).toBe(401);
    for (let i = 0; i < 2; i++) expect((await create(two!, '10.0.0.66', `guess-${i}`)).status).toBe(401);
    await expectProblem(await create(one!, '10.0.0.66', 'guess-next'), 429, 'rate_limited');
    expect(policies.filter((p) => p.name === 'admin-auth')).toEqual([
      { name: 'admin-auth', points: 5, durationSec: 60 },
      { name: 'admin-auth', points: 5, durationSec: 60 },
    ]);
  });

  test('adminFailures sets the number, false turns it off, and rateLimit: false turns every limit off', async () => {
    const two = harness({ adminToken: TOKEN, rateLimit: { adminFailures: 2 } });
    expect([(await create(two, 'a', 'x')).status, (await create(two, 'a', 'y')).status, (await create(two, 'a', 'z')).status]).toEqual([401, 401, 429]);
    for (const rateLimit of [{ adminFailures: false as const }, false as const]) {
      const off = harness({ adminToken: TOKEN, rateLimit });
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await create(off, 'a', `guess-${i}`)).status);
      expect(statuses).toEqual(Array(10).fill(401));
    }
    expect(() => harness({ adminToken: TOKEN, rateLimit: { adminFailures: 0 } })).toThrow(RangeError);
  });
});

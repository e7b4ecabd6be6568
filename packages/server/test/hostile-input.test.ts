import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { serve, signWebhook } from '../src/index.js';
import {
  carriesUnstorableText,
  documentedStatuses,
  expectDocumented,
  expectProblemAnswer,
  expectSuccessAnswer,
  SUCCESS_SCHEMAS,
  type Answer,
  type OpenApiDoc,
} from './fuzz/contract.js';
import { fixtureHarness, WEBHOOK_SECRET } from './fuzz/fixture.js';
import { OPERATIONS, requestPlan, type RequestPlan } from './fuzz/requests.js';
import { rawRequest } from './fuzz/raw-requests.js';
import { idempotencyCount, readState, type StoredState } from './fuzz/state.js';
import type { Harness } from './helpers.js';
import { BACKENDS, type OpenedStore } from './support/backends.js';
import { parseRawResponse, rawExchange, within } from './support/raw-socket.js';

/**
 * Property-based fuzz of every endpoint with hostile input (see fuzz/). For each generated request:
 * never a 5xx; every 4xx is a problem+json whose code matches its status and which changed nothing
 * in the database; every 2xx has its documented status and shape and carried no text a store
 * cannot keep (NUL, unpaired surrogates); the inventory audit stays clean.
 *
 * Runs on SQLite, and on PostgreSQL when FLASHSALE_TEST_PG_URL is set (CI sets it): the same
 * requests, since some text (NUL) is refused by PostgreSQL and stored by SQLite. Per CI run and
 * store: FUZZ_RUNS requests per app (unsigned and signed) through app.request, and RAW_RUNS
 * raw-socket requests through serve(); PostgreSQL, a round trip per query, gets PG_SHARE of each.
 * FLASHSALE_FUZZ_SEED replays a run, FLASHSALE_FUZZ_RUNS scales the counts.
 */

const SCALE = Number(process.env.FLASHSALE_FUZZ_RUNS ?? 1);
const PG_SHARE = 0.5;
/** How long a raw PostgreSQL-backed exchange waits for the server to answer and close before half-closing. */
const runs = (base: number, backend: string) => Math.round(base * SCALE * (backend === 'postgres' ? PG_SHARE : 1));
const SEED = Number(process.env.FLASHSALE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

const BEFORE_ROUTING = new Set(['not_found', 'bad_request', 'header_fields_too_large', 'request_timeout']);

const tally = new Map<string, number>();
afterAll(() => {
  const summary = [...tally].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ×${n}`).join(', ');
  console.log(`[hostile-input] seed ${SEED} (FLASHSALE_FUZZ_SEED=${SEED} to replay); answers: ${summary}`);
});
const count = (key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

/** Asserts one answer honours the contract, given the database before and after. */
async function checkAnswer(
  h: Harness,
  db: OpenedStore,
  doc: OpenApiDoc,
  plan: Pick<RequestPlan, 'endpoint' | 'method' | 'path' | 'body'>,
  answer: Answer,
  before: StoredState,
) {
  expect(answer.status, `${plan.method} ${plan.path.slice(0, 80)} answered ${answer.status}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
  const after = await readState(db);
  if (answer.status >= 400) {
    const code = expectProblemAnswer(answer, plan.method === 'HEAD');
    count(`${answer.status} ${code ?? '(HEAD)'}`);
    if (code === 'payment_conflict') {
      // The one refusal that is remembered (so its replay says the same): at most one new payment record.
      expect({ ...after, idempotency: [] }).toEqual({ ...before, idempotency: [] });
      expect(idempotencyCount(after) - idempotencyCount(before)).toBeLessThanOrEqual(1);
      expect(idempotencyCount(after, 'payment') - idempotencyCount(before, 'payment')).toBe(idempotencyCount(after) - idempotencyCount(before));
    } else {
      expect(after, `${answer.status} ${code} changed the database`).toEqual(before);
    }
    // Refusals made before routing (an unknown path; Node's parser: bad HTTP, huge headers) are
    // not any operation's; README documents them.
    const operation = OPERATIONS[plan.endpoint];
    if (operation && code !== undefined && !BEFORE_ROUTING.has(code)) expect(documentedStatuses(doc, ...operation)).toContain(answer.status);
  } else {
    expect(answer.status).toBeGreaterThanOrEqual(200);
    expect(answer.status).toBeLessThan(300);
    count(`${answer.status} ${plan.endpoint}`);
    // Only a write reads its body (a raw request line may have made the plan a GET).
    if (OPERATIONS[plan.endpoint]?.[1] !== 'get' && OPERATIONS[plan.endpoint] !== undefined) {
      expect(carriesUnstorableText(plan.body), `${plan.method} ${plan.path} accepted text no store keeps exactly`).toBe(false);
    }
    if (plan.endpoint in SUCCESS_SCHEMAS) {
      const body = expectSuccessAnswer(plan.endpoint as keyof typeof SUCCESS_SCHEMAS, answer);
      expectDocumented(doc, ...OPERATIONS[plan.endpoint]!, answer.status, body);
    } else {
      expect(plan.endpoint, `${plan.method} ${plan.path} should not succeed`).toBe('ops');
      if (plan.method !== 'HEAD') expect(answer.text.length).toBeGreaterThan(0);
    }
  }
  expect((await h.engine.verify()).violations).toEqual([]);
}

/** Sends a plan through app.request, signing webhooks as the plan says when the app has a secret. */
async function send(h: Harness, plan: RequestPlan, signed: boolean): Promise<Answer> {
  const headers: Record<string, string> = { ...plan.headers };
  if (plan.contentType !== undefined) headers['content-type'] = plan.contentType;
  if (signed && plan.endpoint === 'webhook' && plan.signing !== 'none') {
    const text = typeof plan.body === 'string' ? plan.body : Buffer.from(plan.body ?? new Uint8Array()).toString('utf8');
    const minutes = { valid: 0, 'wrong-secret': 0, stale: -6, future: 6 }[plan.signing];
    const secret = plan.signing === 'wrong-secret' ? 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' : WEBHOOK_SECRET;
    Object.assign(headers, signWebhook(secret, text, { id: plan.webhookId, timestamp: new Date(Date.now() + minutes * 60_000) }));
  }
  const res = await h.app.request(plan.path, { method: plan.method, headers, ...(plan.body === undefined ? {} : { body: plan.body }) });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

describe.each(BACKENDS)('hostile HTTP input (property-based), on $name', (backend) => {
  const FUZZ_RUNS = runs(1_000, backend.name);
  const RAW_RUNS = runs(300, backend.name);
  const opened: OpenedStore[] = [];
  afterEach(async () => {
    for (const db of opened.splice(0)) await db.destroy();
  });
  async function fixture(signed: boolean): Promise<{ h: Harness; db: OpenedStore }> {
    const db = await backend.open();
    opened.push(db);
    return { h: await fixtureHarness(signed, db.store), db };
  }

  test.skipIf(!backend.available).each([
    ['without a webhook secret', false],
    ['with a webhook secret (signed webhooks)', true],
  ])(`every endpoint, ${FUZZ_RUNS} random requests %s: no 5xx, problems change nothing, successes are documented`, async (_name, signed) => {
    const { h, db } = await fixture(signed);
    const doc = (await (await h.get('/openapi.json')).json()) as OpenApiDoc;
    console.log(`[hostile-input] ${backend.name} app.request ${signed ? 'signed' : 'unsigned'}: ${FUZZ_RUNS} runs, seed ${SEED}`);
    await fc.assert(
      fc.asyncProperty(requestPlan, async (plan) => {
        const before = await readState(db);
        await checkAnswer(h, db, doc, plan, await send(h, plan, signed), before);
      }),
      { numRuns: FUZZ_RUNS, seed: SEED },
    );
  });

  test.skipIf(!backend.available)(`${RAW_RUNS} raw HTTP requests through serve() (bytes no client library sends): no 5xx, always a problem, nothing changed`, async () => {
    const { h, db } = await fixture(false);
    const doc = (await (await h.get('/openapi.json')).json()) as OpenApiDoc;
    // Unsigned, so raw webhook bodies reach validation (signed webhooks are fuzzed above).
    const server = await serve({ engine: h.engine, port: 0, logger: pino({ level: 'silent' }), rateLimit: false, sweeper: false, adminToken: 'fuzz-admin-token' });
    console.log(`[hostile-input] ${backend.name} raw sockets: ${RAW_RUNS} runs, seed ${SEED}`);
    try {
      await fc.assert(
        fc.asyncProperty(rawRequest, async (raw) => {
          const before = await readState(db);
          // The client half-closes at once, even before an answer that waits for the store.
          const text = await within(rawExchange(server.port, raw.bytes), 10_000, 'raw exchange');
          const res = parseRawResponse(text);
          expect(res, `no HTTP answer to ${JSON.stringify(raw.bytes.toString('latin1').slice(0, 120))}: ${JSON.stringify(text.slice(0, 120))}`).toBeDefined();
          await checkAnswer(h, db, doc, raw, { status: res!.status, contentType: res!.headers['content-type'] ?? null, text: res!.body }, before);
        }),
        { numRuns: RAW_RUNS, seed: SEED },
      );
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      // Closes the engine and with it the store; destroy() then only drops what is left.
      await server.close();
    }
  });
});

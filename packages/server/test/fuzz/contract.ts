import { z } from 'zod';
import { expect } from 'vitest';
import { PROBLEM_CATALOG } from '../../src/index.js';

/**
 * What every answer of the API promises, checked on each fuzzed response: never a 5xx; a 4xx is
 * an RFC 9457 problem whose code and status agree with the catalog; a 2xx has exactly the shape
 * docs/api.md (and /openapi.json) documents.
 */

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const money = z.string().regex(/^(0|[1-9]\d*)\.\d{2}$/);
const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/).refine((s) => !Number.isNaN(Date.parse(s)));

/** A product as every product answer carries it: the seed's four fields and the drop's. */
const productAnswer = z.strictObject({
  id,
  name: z.string(),
  price: money,
  available_stock: count,
  sale_starts_at: isoUtc.nullable(),
  sale_ends_at: isoUtc.nullable(),
  max_per_buyer: id.nullable(),
  sale_status: z.enum(['scheduled', 'live', 'ended']),
});

export const SUCCESS_SCHEMAS = {
  product: productAnswer,
  hold: z.strictObject({ hold_id: id, token: z.string().regex(/^[0-9a-f]{64}$/), expires_at: isoUtc, product_id: id, qty: id }),
  order: z.strictObject({ order_id: id, status: z.literal('pending'), amount: money }),
  webhook: z.strictObject({ status: z.literal('processed'), order_status: z.enum(['pending', 'completed', 'failed', 'expired', 'refund_due']) }),
  'admin-create': productAnswer,
  'admin-restock': productAnswer,
  'admin-update': productAnswer,
  // Hold lifecycle.
  'hold-release': z.strictObject({ hold_id: id, status: z.literal('released'), qty: id }),
  'hold-extend': z.strictObject({ hold_id: id, expires_at: isoUtc }),
  'hold-read': z.strictObject({
    hold_id: id,
    product_id: id,
    qty: id,
    status: z.enum(['active', 'converted', 'expired', 'released']),
    expires_at: isoUtc,
    order_id: id.nullable(),
  }),
  'order-read': z.strictObject({
    order_id: id,
    hold_id: id,
    product_id: id,
    qty: id,
    status: z.enum(['pending', 'completed', 'failed', 'expired', 'refund_due']),
    amount: money,
    payment_deadline: isoUtc,
  }),
} as const;

const STATUS_OF = {
  product: 200,
  hold: 201,
  order: 201,
  webhook: 200,
  'admin-create': 201,
  'admin-restock': 200,
  'admin-update': 200,
  // Hold lifecycle.
  'hold-release': 200,
  'hold-extend': 200,
  'hold-read': 200,
  'order-read': 200,
} as const;

const problemSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  errors: z.array(z.strictObject({ in: z.enum(['body', 'path', 'header', 'query']), pointer: z.string(), detail: z.string() })).optional(),
  sale_starts_at: isoUtc.optional(),
  limit: id.optional(),
  remaining: count.optional(),
});

export interface Answer {
  status: number;
  contentType: string | null;
  text: string;
}

/** Checks a 4xx answer is a well-formed problem and returns its code. */
export function expectProblemAnswer(answer: Answer, headOnly = false): string | undefined {
  expect(answer.contentType).toBe('application/problem+json');
  if (headOnly) return undefined;
  const problem = problemSchema.parse(JSON.parse(answer.text));
  expect(problem.status).toBe(answer.status);
  expect(problem.type).toBe(`/problems/${problem.code}`);
  expect(Object.hasOwn(PROBLEM_CATALOG, problem.code)).toBe(true);
  expect(PROBLEM_CATALOG[problem.code as keyof typeof PROBLEM_CATALOG].status).toBe(answer.status);
  expect(answer.text).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules/); // never a stack trace
  return problem.code;
}

/** Checks a 2xx answer of an API endpoint has its documented status and shape. */
export function expectSuccessAnswer(endpoint: keyof typeof SUCCESS_SCHEMAS, answer: Answer): unknown {
  expect(answer.status).toBe(STATUS_OF[endpoint]);
  expect(answer.contentType).toMatch(/^application\/json/);
  return SUCCESS_SCHEMAS[endpoint].parse(JSON.parse(answer.text));
}

/** NUL, or a surrogate not part of a pair (the `u` flag reads a pair as one code point). */
const UNSTORABLE = /[\u0000\ud800-\udfff]/u;

/**
 * True when the body, as the server reads it (UTF-8 bytes on the wire, then JSON), carries a
 * string with text no store keeps exactly. A request that does must never be answered 2xx.
 */
export function carriesUnstorableText(body: string | Uint8Array | undefined): boolean {
  if (body === undefined) return false;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    return false;
  }
  const visit = (node: unknown): boolean =>
    typeof node === 'string'
      ? UNSTORABLE.test(node)
      : typeof node === 'object' && node !== null && Object.entries(node).some(([key, child]) => UNSTORABLE.test(key) || visit(child));
  return visit(value);
}

interface OpenApiSchema {
  $ref?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
}
export interface OpenApiDoc {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: OpenApiSchema }> }> }>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

/** The statuses /openapi.json lists for an operation. */
export function documentedStatuses(doc: OpenApiDoc, path: string, method: string): number[] {
  return Object.keys(doc.paths[path]?.[method]?.responses ?? {}).map(Number);
}

/** Checks a success body has exactly the properties /openapi.json documents for it, all present. */
export function expectDocumented(doc: OpenApiDoc, path: string, method: string, status: number, body: unknown) {
  let schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
  if (schema?.$ref) schema = doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
  expect(schema?.properties, `${method} ${path} ${status} is documented`).toBeDefined();
  expect(Object.keys(body as object).sort()).toEqual(Object.keys(schema!.properties!).sort());
  expect([...(schema!.required ?? [])].sort()).toEqual(Object.keys(schema!.properties!).sort());
}

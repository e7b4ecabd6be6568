import { HOLD_STATUSES, INPUT_LIMITS, ORDER_STATUSES } from '@flashsale/core';
import { z } from '@hono/zod-openapi';
import { PROBLEM_CATALOG, type ProblemCode } from '../problems/catalog.js';
import { PROBLEM_CONTENT_TYPE } from '../problems/render.js';

/**
 * The wire schemas. The same objects validate requests and generate /openapi.json, so the
 * document cannot drift from what the server accepts. Request bodies are strict: an unknown field
 * is a 400 (it is most often a typo, such as `quantity` for `qty`, that would otherwise be ignored).
 */

const POSITIVE_INT = 'must be a positive integer';

/** An operation's `security` when it needs no credentials: said outright, so no tool guesses. */
export const PUBLIC: Record<string, string[]>[] = [];

/** A positive safe integer: rejects floats, strings, negatives and numbers past 2^53 - 1. */
export const positiveId = z.int({ error: POSITIVE_INT }).positive({ error: POSITIVE_INT });

/** A path id: digits only, no sign, no leading zero, within the safe-integer range. */
export function idParam(name: string) {
  return z.object({
    [name]: z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/, { error: POSITIVE_INT })
      .refine((value) => Number.isSafeInteger(Number(value)), { error: POSITIVE_INT })
      .openapi({ param: { name, in: 'path' }, example: '1' }),
  });
}

const KEY_FORMAT = 'use 1 to 255 visible ASCII characters';

/**
 * The engine's rule (INPUT_LIMITS): 1 to 255 visible ASCII characters. Each check names the format: the
 * schema-level error is for a missing header only (it would otherwise also describe a key that
 * is too long or empty as "required").
 */
export const idempotencyKey = z
  .string({ error: 'an Idempotency-Key header is required' })
  .min(1, { error: KEY_FORMAT })
  .max(INPUT_LIMITS.idempotencyKey.maxLength, { error: KEY_FORMAT })
  .regex(INPUT_LIMITS.idempotencyKey.pattern, { error: KEY_FORMAT })
  .openapi({ example: 'unique-payment-id-123' });

/**
 * A text field of a request body: its length limit, and the engine's rule for every text a client
 * sends (INPUT_LIMITS.text: no NUL, no unpaired surrogate), so the server refuses what no store
 * can keep with the same words the engine would, naming the wire field.
 */
export function textField(maxLength: number, options: { trim?: boolean } = {}) {
  const text = options.trim ? z.string().trim() : z.string();
  return (
    text
      .min(1)
      .max(maxLength)
      .regex(INPUT_LIMITS.text.pattern, { error: INPUT_LIMITS.text.message })
      // zod-to-openapi writes a regex with flags as "source/u"; the source alone is the pattern
      // (JSON Schema patterns are read as Unicode).
      .openapi({ pattern: INPUT_LIMITS.text.pattern.source })
  );
}

// Drops: a sale instant on the wire, and a buyer id.
const INSTANT_RULE = 'must be an ISO-8601 date and time with a zone, like 2030-01-01T09:00:00Z';

/** A sale instant as a request carries it: ISO-8601 with a zone (Z or an offset); read as UTC. */
export const saleInstant = z.iso
  .datetime({ offset: true, error: INSTANT_RULE })
  .refine((text) => Date.parse(text) >= 0, { error: `${INSTANT_RULE}, from 1970 on` });

/** A sale instant as an answer carries it: ISO-8601 UTC, or null when unset. */
const saleInstantOut = (description: string) => z.string().nullable().openapi({ format: 'date-time', example: '2030-01-01T09:00:00.000Z', description });

/** The engine's rule (INPUT_LIMITS.buyerId): 1 to 128 characters, no control characters. */
export const buyerIdField = z
  .string({ error: INPUT_LIMITS.buyerId.message })
  .max(INPUT_LIMITS.buyerId.maxLength, { error: INPUT_LIMITS.buyerId.message })
  .regex(INPUT_LIMITS.buyerId.pattern, { error: INPUT_LIMITS.buyerId.message })
  .openapi({ pattern: INPUT_LIMITS.buyerId.pattern.source, minLength: 1, example: 'customer-8412' });

const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/insufficient_stock' }),
    title: z.string().openapi({ example: 'Insufficient stock' }),
    status: z.int().openapi({ example: 409 }),
    detail: z.string().openapi({ example: 'Not enough stock is available for that quantity.' }),
    code: z.string().openapi({ example: 'insufficient_stock' }),
    errors: z
      .array(z.object({ in: z.enum(['body', 'path', 'header', 'query']), pointer: z.string(), detail: z.string() }))
      .optional(),
    // Drops.
    sale_starts_at: z.string().optional().openapi({ format: 'date-time', description: 'sale_not_started: when the sale opens (ISO-8601 UTC).' }),
    limit: z.int().optional().openapi({ description: "buyer_limit_exceeded: the product's per-buyer limit." }),
    remaining: z.int().optional().openapi({ description: 'buyer_limit_exceeded: how many more units this buyer may hold now.' }),
  })
  .openapi('Problem');

/**
 * OpenAPI `responses` entries for the problems a route can answer, grouped by status, plus the
 * `4XX` range every request can meet: the refusals of Node's HTTP parser and timers, made before
 * any route runs (see node-http/client-error.ts).
 */
export function problemResponses(...codes: ProblemCode[]) {
  const byStatus: Record<string, string[]> = {};
  for (const code of codes) (byStatus[PROBLEM_CATALOG[code].status] ??= []).push(code);
  const responses: Record<string, { description: string; content: Record<string, { schema: typeof ProblemSchema }> }> = {};
  for (const [status, list] of Object.entries(byStatus)) {
    responses[status] = {
      description: `Problem: ${list.join(', ')}`,
      content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
    };
  }
  responses['4XX'] = {
    description:
      'Problem, answered before any route runs, then the connection is closed: bad_request (400: not valid HTTP/1.1), ' +
      'request_timeout (408: headers or body too slow), header_fields_too_large (431)',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
  };
  return responses;
}

export const ProductSchema = z
  .object({
    id: z.int().openapi({ example: 1 }),
    name: z.string().openapi({ example: 'Limited Edition Product' }),
    price: z.string().openapi({ example: '99.99', description: 'Decimal string, never a float.' }),
    available_stock: z.int().openapi({ example: 50 }),
    // Drops.
    sale_starts_at: saleInstantOut('No hold before this instant; null: on sale since it was created.'),
    sale_ends_at: saleInstantOut('No hold from this instant on; null: no end.'),
    max_per_buyer: z.int().nullable().openapi({ example: 2, description: 'The most units one buyer may have in active holds, pending and completed orders; null: no limit.' }),
    sale_status: z.enum(['scheduled', 'live', 'ended']).openapi({ example: 'live', description: "Where the sale stands by the server's clock: before the start, in the window, from the end on." }),
  })
  .openapi('Product');

export const OrderStatusSchema = z.enum(ORDER_STATUSES);

// Hold lifecycle: the hold's token, in a body (release, extend) or in the Hold-Token header (reads).

export const HoldStatusSchema = z.enum(HOLD_STATUSES);

/** The body of a release or an extension: the hold's token, as for an order. */
export const HoldTokenRequest = z
  .strictObject({ token: textField(INPUT_LIMITS.token.maxLength).openapi({ example: 'your-hold-token' }) })
  .openapi('HoldTokenRequest');

const TOKEN_FORMAT = `use the token of the hold's 201: 1 to ${INPUT_LIMITS.token.maxLength} characters`;

/**
 * The Hold-Token header of the two reads. A missing or empty one is 401 `hold_token_required`
 * (see validation-hook.ts); one that no hold could have is 400, as a malformed token in a body is.
 */
export const holdTokenHeaders = z.object({
  'hold-token': z
    .string({ error: 'a Hold-Token header is required' })
    .min(1, { error: TOKEN_FORMAT })
    .max(INPUT_LIMITS.token.maxLength, { error: TOKEN_FORMAT })
    .openapi({ description: "The token of the hold's 201 (for an order: of the order's hold). Never logged.", example: 'your-hold-token' }),
});

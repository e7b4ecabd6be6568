import { z } from 'zod';
import { FlashSaleError } from './errors.js';
import { MAX_PRICE_CENTS } from './money.js';

/** Ids are positive safe integers. */
export const idSchema = z.int().positive();

/**
 * The limits of what a client may send, in one place: the engine validates with them, and the
 * HTTP server builds its wire schemas (and so /openapi.json) from the same values.
 */
export const INPUT_LIMITS = {
  /** An Idempotency-Key: 1 to 255 visible ASCII characters. */
  idempotencyKey: { maxLength: 255, pattern: /^[\x21-\x7e]+$/ },
  /** A hold token as a client may send it (real ones are 64 hex characters). */
  token: { maxLength: 512 },
  /** A product name. */
  productName: { maxLength: 200 },
  /** A payment provider's transaction id. */
  txnId: { maxLength: 255 },
  /** The stock a product is created with. */
  stock: { max: 1_000_000_000 },
  /** The units one restock adds. */
  restockQty: { max: 1_000_000_000 },
  /**
   * What every text a client sends must be, on top of its own limits: text every store keeps
   * exactly. NUL (U+0000) cannot be stored in a PostgreSQL text column at all, and an unpaired
   * UTF-16 surrogate (which JSON lets a client write as "\ud800") has no UTF-8 form, so a store
   * would give back another string (U+FFFD in its place). With the `u` flag the class
   * sees a surrogate pair (an emoji) as one code point, outside the range, so pairs pass.
   */
  text: {
    pattern: /^[^\u0000\ud800-\udfff]*$/u,
    message: 'must not contain NUL (U+0000) or an unpaired UTF-16 surrogate (U+D800 to U+DFFF)',
  },
} as const;

/** A string every store keeps exactly (see {@link INPUT_LIMITS}.text), of at most `maxLength` characters. */
function storableText(maxLength: number) {
  return z.string().min(1).max(maxLength).regex(INPUT_LIMITS.text.pattern, INPUT_LIMITS.text.message);
}

export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(INPUT_LIMITS.idempotencyKey.maxLength)
  .regex(INPUT_LIMITS.idempotencyKey.pattern, 'use visible ASCII characters only');

export function holdInputSchema(maxHoldQty: number) {
  return z.strictObject({
    productId: idSchema,
    qty: z.int().positive().max(maxHoldQty, `qty may be at most ${maxHoldQty}`),
    idempotencyKey: idempotencyKeySchema.optional(),
  });
}

/**
 * The hold path's shortcut: true for exactly `{ productId, qty }` with both in range, which is
 * what nearly every request of a stampede is. Such input needs no schema; anything else (a key,
 * an extra field, a bad value) goes through the full schema and its error messages. The HTTP
 * server has already validated the body by then, so this keeps the hot path from parsing twice.
 */
export function isPlainHoldInput(input: unknown, maxHoldQty: number): input is { productId: number; qty: number } {
  if (typeof input !== 'object' || input === null) return false;
  const { productId, qty } = input as { productId?: unknown; qty?: unknown };
  return (
    Number.isSafeInteger(productId) &&
    (productId as number) > 0 &&
    Number.isSafeInteger(qty) &&
    (qty as number) > 0 &&
    (qty as number) <= maxHoldQty &&
    Object.keys(input).length === 2
  );
}

export const orderInputSchema = z.strictObject({
  holdId: idSchema,
  token: storableText(INPUT_LIMITS.token.maxLength),
  idempotencyKey: idempotencyKeySchema.optional(),
});

export const paymentInputSchema = z.strictObject({
  orderId: idSchema,
  status: z.enum(['success', 'failed']),
  txnId: storableText(INPUT_LIMITS.txnId.maxLength).nullish(),
  idempotencyKey: idempotencyKeySchema,
});

export const createProductInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(INPUT_LIMITS.productName.maxLength).regex(INPUT_LIMITS.text.pattern, INPUT_LIMITS.text.message),
  /** Integer cents, or a decimal string such as "99.99". */
  price: z.union([z.int().nonnegative().max(MAX_PRICE_CENTS), z.string().min(1).max(20)]),
  stock: z.int().nonnegative().max(INPUT_LIMITS.stock.max),
});

export const restockInputSchema = z.strictObject({
  productId: idSchema,
  qty: z.int().positive().max(INPUT_LIMITS.restockQty.max),
});

// Hold lifecycle: a hold (or an order) and the hold's token.
export const holdTokenInputSchema = z.strictObject({
  holdId: idSchema,
  token: storableText(INPUT_LIMITS.token.maxLength),
});

export const orderTokenInputSchema = z.strictObject({
  orderId: idSchema,
  token: storableText(INPUT_LIMITS.token.maxLength),
});

/** Parses `input` or throws `invalid_input` naming every problem. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  throw new FlashSaleError('invalid_input', summary, { issues });
}

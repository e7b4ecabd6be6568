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
  // Drops.
  /**
   * A buyer id: 1 to 128 characters, none of them a control character (C0, DEL, C1), on top of
   * the text rule. It names a person or an account; a control character is never part of one.
   */
  buyerId: {
    maxLength: 128,
    pattern: /^[^\p{Cc}\ud800-\udfff]+$/u,
    message: 'must be 1 to 128 characters, without control characters or an unpaired UTF-16 surrogate',
  },
  /** A per-buyer limit. */
  maxPerBuyer: { max: 1_000_000_000 },
  /** A sale window's instants, in epoch ms: what a JavaScript Date can hold from 1970 on. */
  instant: { max: 8_640_000_000_000_000 },
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

// Drops: a buyer id, a sale instant, a per-buyer limit.
export const buyerIdSchema = z.string().max(INPUT_LIMITS.buyerId.maxLength, INPUT_LIMITS.buyerId.message).regex(INPUT_LIMITS.buyerId.pattern, INPUT_LIMITS.buyerId.message);

/** A sale instant: epoch ms, or a valid Date; given back as epoch ms. */
const instantSchema = z.union([
  z.int().nonnegative().max(INPUT_LIMITS.instant.max),
  z.date().transform((date, ctx) => {
    const ms = date.getTime();
    if (Number.isInteger(ms) && ms >= 0) return ms;
    ctx.addIssue({ code: 'custom', message: 'must be a valid date from 1970 on' });
    return z.NEVER;
  }),
]);

const maxPerBuyerSchema = z.int().positive().max(INPUT_LIMITS.maxPerBuyer.max);

/** True for a buyer id the rule accepts; the hot path's check, without a schema. */
export function isBuyerId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= INPUT_LIMITS.buyerId.maxLength && INPUT_LIMITS.buyerId.pattern.test(value);
}

export function holdInputSchema(maxHoldQty: number) {
  return z.strictObject({
    productId: idSchema,
    qty: z.int().positive().max(maxHoldQty, `qty may be at most ${maxHoldQty}`),
    idempotencyKey: idempotencyKeySchema.optional(),
    buyerId: buyerIdSchema.optional(),
  });
}

/**
 * The hold path's shortcut: true for exactly `{ productId, qty }` or `{ productId, qty, buyerId }`
 * with every value valid, which is what nearly every request of a stampede is. Such input needs
 * no schema; anything else (a key, an extra field, a bad value) goes through the full schema and
 * its error messages. The HTTP server has already validated the body by then, so this keeps the
 * hot path from parsing twice.
 */
export function isPlainHoldInput(input: unknown, maxHoldQty: number): input is { productId: number; qty: number; buyerId?: string } {
  if (typeof input !== 'object' || input === null) return false;
  const { productId, qty, buyerId } = input as { productId?: unknown; qty?: unknown; buyerId?: unknown };
  return (
    Number.isSafeInteger(productId) &&
    (productId as number) > 0 &&
    Number.isSafeInteger(qty) &&
    (qty as number) > 0 &&
    (qty as number) <= maxHoldQty &&
    Object.keys(input).length === (buyerId === undefined ? 2 : 3) &&
    (buyerId === undefined || isBuyerId(buyerId))
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

const productNameSchema = z.string().trim().min(1).max(INPUT_LIMITS.productName.maxLength).regex(INPUT_LIMITS.text.pattern, INPUT_LIMITS.text.message);
/** Integer cents, or a decimal string such as "99.99". */
const priceSchema = z.union([z.int().nonnegative().max(MAX_PRICE_CENTS), z.string().min(1).max(20)]);

export const createProductInputSchema = z.strictObject({
  name: productNameSchema,
  price: priceSchema,
  stock: z.int().nonnegative().max(INPUT_LIMITS.stock.max),
  // Drops.
  saleStartsAt: instantSchema.nullish(),
  saleEndsAt: instantSchema.nullish(),
  maxPerBuyer: maxPerBuyerSchema.nullish(),
});

// Drops.
export const updateProductInputSchema = z.strictObject({
  productId: idSchema,
  name: productNameSchema.optional(),
  price: priceSchema.optional(),
  saleStartsAt: instantSchema.nullable().optional(),
  saleEndsAt: instantSchema.nullable().optional(),
  maxPerBuyer: maxPerBuyerSchema.nullable().optional(),
});

/** The ISO-8601 form of a sale instant the API writes and reads: a date, a time and a zone. */
export const isoInstant = z.iso.datetime({ offset: true });

/**
 * Parses an ISO-8601 instant with a zone (`2030-01-01T09:00:00Z`, `…+02:00`) into epoch ms, or
 * undefined when it is not one: what the CLI and the HTTP API take for a sale's start and end.
 *
 * @example parseInstant('2030-01-01T09:00:00Z') // 1893488400000
 */
export function parseInstant(text: string): number | undefined {
  if (!isoInstant.safeParse(text).success) return undefined;
  const ms = Date.parse(text);
  return Number.isInteger(ms) && ms >= 0 ? ms : undefined;
}

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

// Events for the merchant.
export const READ_EVENTS_LIMITS = { defaultLimit: 100, maxLimit: 1000 } as const;

export const readEventsInputSchema = z.strictObject({
  after: z.int().nonnegative().optional(),
  limit: z.int().positive().max(READ_EVENTS_LIMITS.maxLimit).optional(),
});

export const redeliverEventsInputSchema = z.strictObject({
  from: z.int().positive().max(Number.MAX_SAFE_INTEGER),
  sink: z.string().min(1).max(512).optional(),
});

/** Parses `input` or throws `invalid_input` naming every problem. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  throw new FlashSaleError('invalid_input', summary, { issues });
}

import { z } from 'zod';
import { FlashSaleError } from './errors.js';
import { MAX_PRICE_CENTS } from './money.js';

/** Ids are positive safe integers. */
export const idSchema = z.int().positive();

/** An Idempotency-Key: 1 to 255 visible ASCII characters. */
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'use visible ASCII characters only');

export function holdInputSchema(maxHoldQty: number) {
  return z.strictObject({
    productId: idSchema,
    qty: z.int().positive().max(maxHoldQty, `qty may be at most ${maxHoldQty}`),
    idempotencyKey: idempotencyKeySchema.optional(),
  });
}

export const orderInputSchema = z.strictObject({
  holdId: idSchema,
  token: z.string().min(1).max(512),
  idempotencyKey: idempotencyKeySchema.optional(),
});

export const paymentInputSchema = z.strictObject({
  orderId: idSchema,
  status: z.enum(['success', 'failed']),
  txnId: z.string().min(1).max(255).nullish(),
  idempotencyKey: idempotencyKeySchema,
});

export const createProductInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Integer cents, or a decimal string such as "99.99". */
  price: z.union([z.int().nonnegative().max(MAX_PRICE_CENTS), z.string().min(1).max(20)]),
  stock: z.int().nonnegative().max(1_000_000_000),
});

export const restockInputSchema = z.strictObject({
  productId: idSchema,
  qty: z.int().positive().max(1_000_000_000),
});

/** Parses `input` or throws `invalid_input` naming every problem. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  throw new FlashSaleError('invalid_input', summary, { issues });
}

import type { OrderCreated, OrderInput } from '../api.js';
import type { EngineContext } from '../engine-context.js';
import { flashSaleError } from '../errors.js';
import { toOrderCreated } from '../records.js';
import { idempotencyKeyFor, replayOrThrow } from '../replay.js';
import { hashToken } from '../tokens.js';
import { orderInputSchema, parseInput } from '../validation.js';

/** A hold and its token become a pending order, with a payment deadline. */
export function orderUseCases(ctx: EngineContext): { createOrder(input: OrderInput): Promise<OrderCreated> } {
  async function createOrder(input: OrderInput): Promise<OrderCreated> {
    const { holdId, token, idempotencyKey } = parseInput(orderInputSchema, input);
    const now = ctx.clock();
    const tokenHash = hashToken(token);
    const key = idempotencyKey === undefined ? undefined : idempotencyKeyFor('order', idempotencyKey, { holdId, tokenHash });
    const result = await ctx.store.createOrder({
      holdId,
      tokenHash,
      now,
      paymentDeadline: now + ctx.settings.paymentTtlMs,
      ...(key ? { idempotency: key } : {}),
    });
    const { outcome, replayed } = replayOrThrow('order', result, key);
    if (outcome.kind === 'refused') throw flashSaleError(outcome.code, { replayed });
    return toOrderCreated(outcome.order, replayed);
  }

  return { createOrder };
}

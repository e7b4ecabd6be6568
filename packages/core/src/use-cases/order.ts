import type { OrderCreated, OrderInput } from '../api.js';
import type { EngineContext } from '../engine-context.js';
import { flashSaleError } from '../errors.js';
import { toOrderCreated } from '../records.js';
import { idempotencyFor, replayOrThrow } from '../replay.js';
import type { CreateOrderOutcome } from '../store.js';
import { hashToken } from '../tokens.js';
import { orderInputSchema, parseInput } from '../validation.js';

/** A hold and its token become a pending order, with a payment deadline. */
export function orderUseCases(ctx: EngineContext): { createOrder(input: OrderInput): Promise<OrderCreated> } {
  async function createOrder(input: OrderInput): Promise<OrderCreated> {
    const { holdId, token, idempotencyKey } = parseInput(orderInputSchema, input);
    const now = ctx.clock();
    const tokenHash = hashToken(token);
    const write =
      idempotencyKey === undefined
        ? undefined
        : idempotencyFor<CreateOrderOutcome>('order', idempotencyKey, { holdId, tokenHash }, (outcome) =>
            outcome.kind === 'created' ? JSON.stringify(outcome) : undefined,
          );
    const result = await ctx.store.createOrder({
      holdId,
      tokenHash,
      now,
      paymentDeadline: now + ctx.settings.paymentTtlMs,
      ...(write ? { idempotency: write } : {}),
    });
    const { outcome, replayed } = replayOrThrow(result, write);
    if (outcome.kind === 'refused') throw flashSaleError(outcome.code, { replayed });
    return toOrderCreated(outcome.order, replayed);
  }

  return { createOrder };
}

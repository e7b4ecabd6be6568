import type { PaymentApplied, PaymentInput } from '../api.js';
import type { EngineContext } from '../engine-context.js';
import { flashSaleError } from '../errors.js';
import { idempotencyKeyFor, replayOrThrow } from '../replay.js';
import { parseInput, paymentInputSchema } from '../validation.js';

/** The payment provider's answer, applied once per key: success completes, failure returns the stock. */
export function paymentUseCases(ctx: EngineContext): { applyPayment(input: PaymentInput): Promise<PaymentApplied> } {
  async function applyPayment(input: PaymentInput): Promise<PaymentApplied> {
    const { orderId, status, txnId, idempotencyKey } = parseInput(paymentInputSchema, input);
    const key = idempotencyKeyFor('payment', idempotencyKey, { orderId, status, txnId: txnId ?? null });
    const result = await ctx.store.applyPayment({ orderId, status, txnId: txnId ?? null, now: ctx.clock(), idempotency: key });
    const { outcome, replayed } = replayOrThrow('payment', result, key);
    if (outcome.kind === 'refused') throw flashSaleError(outcome.code, { replayed });
    if (!replayed && outcome.effect === 'failed') {
      ctx.emit({ type: 'stock_released', cause: 'payment_failed', units: outcome.order.qty });
    }
    return { orderId: outcome.order.id, orderStatus: outcome.order.status, effect: outcome.effect, replayed };
  }

  return { applyPayment };
}

import type { EpochMs, HoldRecord, OrderStatus, PaymentStatus } from './domain.js';
import { digestsEqual } from './tokens.js';

/**
 * The business rules, as pure functions. A store calls them inside its atomic unit, on the rows it
 * has locked, so the rules live here once and every adapter applies them the same way.
 */

export type OrderDecision = 'create' | 'invalid_hold' | 'hold_expired' | 'hold_used';

/**
 * May this hold become an order now? The token is checked before anything else, and an unknown
 * hold and a wrong token give the same answer, so a stranger learns nothing about other holds.
 */
export function decideOrder(hold: HoldRecord | undefined, tokenHash: string, now: EpochMs): OrderDecision {
  if (!hold || !digestsEqual(hold.tokenHash, tokenHash)) return 'invalid_hold';
  if (hold.status === 'converted') return 'hold_used';
  if (hold.status === 'expired' || now >= hold.expiresAt) return 'hold_expired';
  return 'create';
}

/**
 * What a payment outcome does to an order in a given state:
 * - complete: pending order is paid; its stock becomes sold.
 * - fail: pending order's payment failed; its stock comes back now.
 * - retake: an expired order was paid after all; take its stock again if there is enough.
 * - none: the order is already settled this way (or the failure changes nothing); answer, no effect.
 * - conflict: the order is settled the opposite way; refuse and change nothing.
 */
export type PaymentAction = 'complete' | 'fail' | 'retake' | 'none' | 'conflict';

export function decidePayment(order: OrderStatus, payment: PaymentStatus): PaymentAction {
  if (payment === 'success') {
    switch (order) {
      case 'pending':
        return 'complete';
      case 'expired':
        return 'retake';
      case 'completed':
      case 'refund_due':
        return 'none';
      case 'failed':
        return 'conflict';
    }
  }
  switch (order) {
    case 'pending':
      return 'fail';
    case 'failed':
    case 'expired':
      return 'none';
    case 'completed':
    case 'refund_due':
      return 'conflict';
  }
}

/**
 * Does an idempotency record remember this answer? Answers that changed something do, and so does
 * a payment conflict (the order stays settled the other way, so the answer stays true). A refusal
 * that changed nothing (sold out, unknown order, used or expired hold, wrong token) does not: a
 * retry with the same key is processed afresh. Decided by the answer's kind and code alone, so a
 * store can apply it to a decision before the rows it will write exist.
 */
export function isRemembered(answer: { kind: string; code?: string }): boolean {
  return answer.kind !== 'refused' || answer.code === 'payment_conflict';
}

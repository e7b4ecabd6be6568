import type { EpochMs, HoldRecord, OrderRecord, OrderStatus, PaymentStatus } from './domain.js';
import { digestsEqual } from './tokens.js';

/**
 * The business rules, as pure functions. A store calls them inside its atomic unit, on the rows it
 * has locked, so the rules live here once and every adapter applies them the same way.
 */

export type OrderDecision =
  | 'create'
  | 'invalid_hold'
  | 'hold_expired'
  | 'hold_used'
  // Hold lifecycle: its buyer gave the hold back.
  | 'hold_released';

/**
 * May this hold become an order now? The token is checked before anything else, and an unknown
 * hold and a wrong token give the same answer, so a stranger learns nothing about other holds.
 */
export function decideOrder(hold: HoldRecord | undefined, tokenHash: string, now: EpochMs): OrderDecision {
  if (!ownsHold(hold, tokenHash)) return 'invalid_hold';
  if (hold.status === 'converted') return 'hold_used';
  // Hold lifecycle: a released hold's stock is back on sale; it never becomes an order.
  if (hold.status === 'released') return 'hold_released';
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

// Hold lifecycle: the buyer's side of a hold (release, extend, read a hold or an order). Each rule
// checks the token first, in constant time, so an unknown hold and a wrong token read the same.

/** True when `tokenHash` is the hold's: the one proof a caller owns it. */
function ownsHold(hold: HoldRecord | undefined, tokenHash: string): hold is HoldRecord {
  return hold !== undefined && digestsEqual(hold.tokenHash, tokenHash);
}

/**
 * release: give the stock back now. already_released: a repeat, answered as the first release was,
 * with no second effect. A used hold, and an expired one (swept or not), are refused.
 */
export type ReleaseDecision = 'release' | 'already_released' | 'invalid_hold' | 'hold_used' | 'hold_expired';

/** May the owner of this hold give it back now? */
export function decideRelease(hold: HoldRecord | undefined, tokenHash: string, now: EpochMs): ReleaseDecision {
  if (!ownsHold(hold, tokenHash)) return 'invalid_hold';
  if (hold.status === 'converted') return 'hold_used';
  if (hold.status === 'released') return 'already_released';
  if (hold.status === 'expired' || now >= hold.expiresAt) return 'hold_expired';
  return 'release';
}

/** The engine's hold lifetimes, which an extension works from. */
export interface HoldLifetime {
  /** How long a hold lasts from its creation, or from an extension. */
  ttlMs: number;
  /** The latest an extension may move a hold's expiry to, counted from its creation. */
  maxLifetimeMs: number;
}

export type ExtendDecision =
  | { kind: 'extend'; expiresAt: EpochMs }
  | { kind: 'refused'; code: 'invalid_hold' | 'hold_used' | 'hold_released' | 'hold_expired' | 'hold_extension_limit' };

/**
 * How far may the owner of this active hold push its expiry now? To `now + ttlMs`, never past
 * `createdAt + maxLifetimeMs`, and never earlier than it already is (another process's clock may
 * run behind the one that set it). Refused with `hold_extension_limit` once the expiry is at the cap.
 */
export function decideExtend(hold: HoldRecord | undefined, tokenHash: string, now: EpochMs, lifetime: HoldLifetime): ExtendDecision {
  if (!ownsHold(hold, tokenHash)) return { kind: 'refused', code: 'invalid_hold' };
  if (hold.status === 'converted') return { kind: 'refused', code: 'hold_used' };
  if (hold.status === 'released') return { kind: 'refused', code: 'hold_released' };
  if (hold.status === 'expired' || now >= hold.expiresAt) return { kind: 'refused', code: 'hold_expired' };
  const cap = hold.createdAt + lifetime.maxLifetimeMs;
  if (hold.expiresAt >= cap) return { kind: 'refused', code: 'hold_extension_limit' };
  return { kind: 'extend', expiresAt: Math.max(hold.expiresAt, Math.min(now + lifetime.ttlMs, cap)) };
}

/**
 * The hold as its owner sees it at `now`, or undefined for an unknown hold or a wrong token. An
 * active hold past its expiry reads `expired` at once, before any pass has released it.
 */
export function holdAsSeen(hold: HoldRecord | undefined, tokenHash: string, now: EpochMs): HoldRecord | undefined {
  if (!ownsHold(hold, tokenHash)) return undefined;
  return hold.status === 'active' && now >= hold.expiresAt ? { ...hold, status: 'expired' } : hold;
}

/**
 * The order, for the owner of its hold's token; undefined for an unknown order or a wrong token,
 * which read the same.
 */
export function orderAsSeen(order: OrderRecord | undefined, holdTokenHash: string | undefined, tokenHash: string): OrderRecord | undefined {
  if (!order || holdTokenHash === undefined || !digestsEqual(holdTokenHash, tokenHash)) return undefined;
  return order;
}

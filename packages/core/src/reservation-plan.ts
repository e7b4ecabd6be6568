import type { HoldRecord } from './domain.js';
import type { IdempotencyKey } from './idempotency.js';
import { isRemembered } from './rules.js';
import type { ReserveOutcome, ReserveRequest } from './store.js';

/**
 * What a batch of hold requests gets, decided as if they came one at a time in array order,
 * first-fit: each request sees the stock and the remembered answers the ones before it left.
 */
export type ReservationDecision =
  | { kind: 'grant'; stockLeft: number }
  | { kind: 'refuse'; code: 'product_not_found' }
  | { kind: 'refuse'; code: 'insufficient_stock'; stockLeft: number }
  /** The key already has a committed answer: the store gives that answer back. */
  | { kind: 'replay-stored' }
  /** The same key as request `of` of this batch, whose answer is remembered: its replay. */
  | { kind: 'replay-earlier'; of: number };

export interface ReservationPlan {
  decisions: ReservationDecision[];
  /** Units granted per product: what the store takes from each product's stock. */
  taken: Map<number, number>;
  /**
   * Every key this batch answers first (no committed answer yet), by `idempotencyKeyId`: the index
   * of the request whose answer the store keeps for it, or undefined when none is remembered.
   */
  keyOwners: Map<string, number | undefined>;
}

/** One string per key, to look keys up in a batch. */
export function idempotencyKeyId(key: Pick<IdempotencyKey, 'scope' | 'keyHash'>): string {
  return `${key.scope}\u0000${key.keyHash}`;
}

/**
 * Plans a batch: the core's one first-fit, which every adapter applies to the rows it has locked.
 *
 * @param stock the available stock of every product the batch names that exists
 * @param storedKeys the `idempotencyKeyId`s of the batch's keys that already have a committed answer
 *
 * @example
 * const plan = planReservations(requests, new Map([[1, 3]]), new Set());
 * plan.decisions // [{ kind: 'grant', stockLeft: 1 }, { kind: 'refuse', code: 'insufficient_stock', stockLeft: 1 }] for qty 2, 2
 */
export function planReservations(
  requests: readonly ReserveRequest[],
  stock: ReadonlyMap<number, number>,
  storedKeys: ReadonlySet<string>,
): ReservationPlan {
  const left = new Map(stock);
  const taken = new Map<number, number>();
  const keyOwners = new Map<string, number | undefined>();
  const decisions = requests.map((request, i): ReservationDecision => {
    const key = request.idempotency ? idempotencyKeyId(request.idempotency) : undefined;
    if (key !== undefined) {
      if (storedKeys.has(key)) return { kind: 'replay-stored' };
      const owner = keyOwners.get(key);
      if (owner !== undefined) return { kind: 'replay-earlier', of: owner };
    }
    const available = left.get(request.productId);
    let decision: DecidedHere;
    if (available === undefined) decision = { kind: 'refuse', code: 'product_not_found' };
    else if (available < request.qty) decision = { kind: 'refuse', code: 'insufficient_stock', stockLeft: available };
    else {
      left.set(request.productId, available - request.qty);
      taken.set(request.productId, (taken.get(request.productId) ?? 0) + request.qty);
      decision = { kind: 'grant', stockLeft: available - request.qty };
    }
    if (key !== undefined) keyOwners.set(key, isRemembered(answerOf(decision)) ? i : undefined);
    return decision;
  });
  return { decisions, taken, keyOwners };
}

/** The outcome of a granted or refused request; a granted one needs the id of the hold the store wrote. */
export function reservationOutcome(request: ReserveRequest, decision: ReservationDecision, holdId?: number): ReserveOutcome {
  switch (decision.kind) {
    case 'grant':
      if (holdId === undefined) throw new Error('a granted hold needs its id');
      return { kind: 'held', hold: holdOf(request, holdId), stockLeft: decision.stockLeft };
    case 'refuse':
      return decision.code === 'product_not_found'
        ? { kind: 'refused', code: 'product_not_found' }
        : { kind: 'refused', code: 'insufficient_stock', stockLeft: decision.stockLeft };
    default:
      throw new Error(`a ${decision.kind} decision is answered by a stored body, not an outcome`);
  }
}

/** The hold a granted request becomes. */
export function holdOf(request: ReserveRequest, id: number): HoldRecord {
  return { id, productId: request.productId, qty: request.qty, status: 'active', tokenHash: request.tokenHash, createdAt: request.createdAt, expiresAt: request.expiresAt };
}

/** A decision made on stock, not taken from an earlier answer. */
type DecidedHere = Extract<ReservationDecision, { kind: 'grant' | 'refuse' }>;

/** The kind and code of the answer a decision gives: all the rule of what is remembered looks at. */
function answerOf(decision: DecidedHere): { kind: string; code?: string } {
  return decision.kind === 'grant' ? { kind: 'held' } : { kind: 'refused', code: decision.code };
}

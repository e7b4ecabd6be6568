import type { EpochMs, HoldRecord } from './domain.js';
import { buyerUnitsKey, saleWindowRefusal } from './drops.js';
import type { IdempotencyKey } from './idempotency.js';
import { isRemembered } from './rules.js';
import type { ReserveOutcome, ReserveRequest } from './store.js';

/**
 * What a batch of hold requests gets, decided as if they came one at a time in array order,
 * first-fit: each request sees the stock, the buyers' units and the remembered answers the ones
 * before it left. A refusal has the shape of the refused outcome it becomes.
 */
export type ReservationDecision =
  | { kind: 'grant'; stockLeft: number }
  | { kind: 'refuse'; code: 'product_not_found' }
  | { kind: 'refuse'; code: 'insufficient_stock'; stockLeft: number }
  // Drops: the window and the per-buyer limit, checked before the stock.
  | { kind: 'refuse'; code: 'sale_not_started'; startsAt: EpochMs }
  | { kind: 'refuse'; code: 'sale_ended' }
  | { kind: 'refuse'; code: 'buyer_required' }
  | { kind: 'refuse'; code: 'buyer_limit_exceeded'; limit: number; remaining: number }
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

/** What the planner reads of a product row the store has locked. */
export interface PlannedProduct {
  available: number;
  // Drops.
  saleStartsAt: EpochMs | null;
  saleEndsAt: EpochMs | null;
  maxPerBuyer: number | null;
}

/** One string per key, to look keys up in a batch. */
export function idempotencyKeyId(key: Pick<IdempotencyKey, 'scope' | 'keyHash'>): string {
  return `${key.scope}\u0000${key.keyHash}`;
}

/**
 * Plans a batch: the core's one first-fit, which every adapter applies to the rows it has locked.
 * Each request is judged at its own `createdAt`, in this order: the product exists; the sale
 * window is open (`saleWindowRefusal`); a limited product names the buyer; the buyer's units
 * plus this qty stay within `maxPerBuyer`; the stock covers it. A grant takes the qty off the
 * product's stock and adds it to the buyer's units, so later requests of the batch see both.
 *
 * @param products every product the batch names that exists, as locked
 * @param storedKeys the `idempotencyKeyId`s of the batch's keys that already have a committed answer
 * @param buyerUnits the units each buyer of `buyersToCount` has now, by `buyerUnitsKey` (0 when absent)
 *
 * @example
 * const plan = planReservations(requests, new Map([[1, { available: 3, saleStartsAt: null, saleEndsAt: null, maxPerBuyer: null }]]), new Set(), new Map());
 * plan.decisions // [{ kind: 'grant', stockLeft: 1 }, { kind: 'refuse', code: 'insufficient_stock', stockLeft: 1 }] for qty 2, 2
 */
export function planReservations(
  requests: readonly ReserveRequest[],
  products: ReadonlyMap<number, PlannedProduct>,
  storedKeys: ReadonlySet<string>,
  buyerUnits: ReadonlyMap<string, number>,
): ReservationPlan {
  const left = new Map([...products].map(([id, product]) => [id, product.available]));
  const units = new Map(buyerUnits);
  const taken = new Map<number, number>();
  const keyOwners = new Map<string, number | undefined>();
  const decisions = requests.map((request, i): ReservationDecision => {
    const key = request.idempotency ? idempotencyKeyId(request.idempotency) : undefined;
    if (key !== undefined) {
      if (storedKeys.has(key)) return { kind: 'replay-stored' };
      const owner = keyOwners.get(key);
      if (owner !== undefined) return { kind: 'replay-earlier', of: owner };
    }
    const decision = decide(request, products.get(request.productId), left, units);
    if (decision.kind === 'grant') taken.set(request.productId, (taken.get(request.productId) ?? 0) + request.qty);
    if (key !== undefined) keyOwners.set(key, isRemembered(answerOf(decision)) ? i : undefined);
    return decision;
  });
  return { decisions, taken, keyOwners };
}

/**
 * The buyers whose units the store must count before planning: each (product, buyer) of the
 * batch whose product exists and has a per-buyer limit, once.
 *
 * @example for (const { productId, buyerId } of buyersToCount(requests, products)) units.set(buyerUnitsKey(productId, buyerId), countUnits(productId, buyerId));
 */
export function buyersToCount(requests: readonly ReserveRequest[], products: ReadonlyMap<number, PlannedProduct>): { productId: number; buyerId: string }[] {
  const seen = new Set<string>();
  const pairs: { productId: number; buyerId: string }[] = [];
  for (const { productId, buyerId } of requests) {
    if (buyerId === undefined || products.get(productId)?.maxPerBuyer == null) continue;
    const id = buyerUnitsKey(productId, buyerId);
    if (seen.has(id)) continue;
    seen.add(id);
    pairs.push({ productId, buyerId });
  }
  return pairs;
}

/** One request on the state the earlier ones left; a grant updates `left` and `units`. */
function decide(request: ReserveRequest, product: PlannedProduct | undefined, left: Map<number, number>, units: Map<string, number>): DecidedHere {
  if (!product) return { kind: 'refuse', code: 'product_not_found' };
  const closed = saleWindowRefusal(product, request.createdAt);
  if (closed === 'sale_not_started') return { kind: 'refuse', code: 'sale_not_started', startsAt: product.saleStartsAt! };
  if (closed === 'sale_ended') return { kind: 'refuse', code: 'sale_ended' };
  const limit = product.maxPerBuyer;
  const buyer = request.buyerId === undefined ? undefined : buyerUnitsKey(request.productId, request.buyerId);
  if (limit !== null) {
    if (buyer === undefined) return { kind: 'refuse', code: 'buyer_required' };
    const has = units.get(buyer) ?? 0;
    if (has + request.qty > limit) return { kind: 'refuse', code: 'buyer_limit_exceeded', limit, remaining: Math.max(0, limit - has) };
  }
  const available = left.get(request.productId)!;
  if (available < request.qty) return { kind: 'refuse', code: 'insufficient_stock', stockLeft: available };
  left.set(request.productId, available - request.qty);
  if (limit !== null) units.set(buyer!, (units.get(buyer!) ?? 0) + request.qty);
  return { kind: 'grant', stockLeft: available - request.qty };
}

/** The outcome of a granted or refused request; a granted one needs the id of the hold the store wrote. */
export function reservationOutcome(request: ReserveRequest, decision: ReservationDecision, holdId?: number): ReserveOutcome {
  switch (decision.kind) {
    case 'grant':
      if (holdId === undefined) throw new Error('a granted hold needs its id');
      return { kind: 'held', hold: holdOf(request, holdId), stockLeft: decision.stockLeft };
    case 'refuse': {
      // A refusal decision has its outcome's fields already.
      const { kind: _kind, ...refusal } = decision;
      return { kind: 'refused', ...refusal };
    }
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

import {
  buyersToCount,
  buyerUnitsKey,
  holdOf,
  idempotencyKeyId,
  planReservations,
  reservationOutcome,
  storedAnswer,
  type PlannedProduct,
  type Replayable,
  type ReserveOutcome,
  type ReserveRequest,
  type StoredReplay,
} from '@flashsale/core';
import type { Executor, Query } from '../executor.js';
import { claimFor, claimKeys, finishKeys, type KeyAnswer } from '../idempotency-records.js';
import { int, intOrNull } from '../rows.js';
import { sql } from '../statement.js';

/*
 * Locking strategy for the hot path (many buyers, one product row).
 *
 * Considered:
 * 1. SELECT … FOR UPDATE, decide in JS, UPDATE, INSERT, COMMIT per request: four round trips with
 *    the product row locked throughout; throughput is one request per ~4 RTTs plus a commit flush.
 * 2. SERIALIZABLE (or REPEATABLE READ) with optimistic retries: every concurrent buyer of a hot
 *    product conflicts, so a stampede turns into a retry storm of 40001s.
 * 3. Advisory locks per product: one more round trip, and they guard nothing a plain UPDATE does
 *    not, while another writer that forgets them is unprotected.
 * 4. Splitting a product's stock over several bucket rows: more parallel writers, but first-fit
 *    and "all supply is held when demand exceeds it" then need cross-bucket rebalancing.
 * 5. A guarded single statement, `UPDATE products SET available = available - $q WHERE id = $id
 *    AND available >= $q RETURNING id` feeding the hold INSERT in one CTE, in autocommit: one round
 *    trip, and the row lock is held only while that statement commits. But one statement per
 *    request: the row is locked once per hold.
 * 6. Group commit: the core's HoldCoalescer hands concurrent requests (for one product or many)
 *    over as one batch, and the batch locks the row once (FOR NO KEY UPDATE, which does not block the foreign
 *    key checks of concurrent inserts), grants first-fit exactly as a serial run would, and writes
 *    every hold with one multi-row INSERT over unnest arrays. As a client-side transaction that is
 *    four round trips per batch (BEGIN, lock, INSERT, COMMIT); as the `reserve_holds()` function
 *    (sql/000002.sql), called in autocommit, it is one.
 *
 * Chosen: 6 through `reserve_holds()` for unkeyed requests for one product, alone or batched (a
 * stampede on one hot product), and through `reserve_holds_many()` (sql/000008.sql) for unkeyed
 * requests for several (the coalescer takes every product that arrives together in one batch: a
 * drop of sizes or seats); 6 as a client-side transaction for keyed batches, because
 * idempotency-key claims must precede the stock lock (see idempotency-records.ts); that
 * transaction locks the rows, asks the core's `planReservations` (the one first-fit every adapter
 * applies) and writes what it decided. The plpgsql functions are the same first-fit in SQL, pinned
 * by the conformance suite. The coalescer keeps at most one reservation in flight per process, so
 * under a stampede each row is locked once per batch.
 *
 * Measured on 2 shared cores, PostgreSQL 15, synchronous_commit on, one product, reserveHolds in
 * a loop, medians of 3 runs in the same minute: a batch of 64 took 5.0 ms as a client-side
 * transaction and 3.2 ms through the function (128: 7.9 and 5.3 ms), with half the Node CPU per
 * hold; a lone request 0.78 ms as the CTE of option 5 and 0.86 ms through the function, which is
 * not worth a second path.
 *
 * Drops: the function (sql/000003.sql) applies the window and the per-buyer limit too, the same
 * rules as the core's planner (pinned by the conformance suite's port property), counting the
 * batch's buyers' units under the row lock. Sending limited products to the client-side
 * transaction instead was measured the same way (limit 2, every request of a distinct buyer,
 * medians of 3): a batch of 64 took 1.97 ms through the function and 3.23 ms as the transaction
 * (128: 2.98 and 4.18 ms), with 0.65 and 1.52 ms of Node CPU per batch; the function without a
 * limit took 1.67 ms (128: 2.13 ms). So every unkeyed one-product batch keeps the function.
 *
 * Many products: reserveHolds in a loop, batches of 64 spread round-robin over N products, one
 * minute, the same machine (busier than above): through the client-side transaction N = 10 and
 * 100 took 8.9 and 9.1 ms per batch against 6.0 ms for one product through reserve_holds();
 * through reserve_holds_many() 5.2 and 5.6 ms against 4.9 ms, with the same Node CPU per batch
 * (1.1 ms) as one product.
 */

const RESERVE_FOR_MANY_PRODUCTS = sql(
  'reserve-for-many-products',
  `SELECT hold_id, stock_left, refusal, starts_at, limit_units, remaining
   FROM reserve_holds_many($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])`,
);

const RESERVE_FOR_ONE_PRODUCT = sql(
  'reserve-for-one-product',
  `SELECT hold_id, stock_left, refusal, starts_at, limit_units, remaining
   FROM reserve_holds($1::bigint, $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])`,
);

// Locked in id order, so two batches over the same products cannot deadlock.
const LOCK_PRODUCTS = sql(
  'lock-products',
  `SELECT id, available, sale_starts_at, sale_ends_at, max_per_buyer FROM products WHERE id = ANY ($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`,
);

// Drops: the units of each (product, buyer), as the core counts them (drops.ts). Read after the
// products are locked, so no other hold of those products commits in between.
const BUYER_UNITS = sql(
  'buyer-units',
  `SELECT h.product_id, h.buyer_id, sum(h.qty) AS units
   FROM holds h LEFT JOIN orders o ON o.hold_id = h.id
   WHERE (h.product_id, h.buyer_id) IN (SELECT * FROM unnest($1::bigint[], $2::text[]))
     AND (h.status = 'active' OR (h.status = 'converted' AND o.status IN ('pending', 'completed')))
   GROUP BY h.product_id, h.buyer_id`,
);

// Ids are drawn in a materialized CTE, so each granted request is paired with its hold id.
const INSERT_HOLDS = sql(
  'insert-holds',
  `WITH req AS MATERIALIZED (
     SELECT nextval(pg_get_serial_sequence('holds', 'id')) AS id, r.*
     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[], $6::text[])
       WITH ORDINALITY AS r (product_id, qty, token_hash, created_at, expires_at, buyer_id, ord)
   ), inserted AS (
     INSERT INTO holds (id, product_id, qty, status, token_hash, created_at, expires_at, buyer_id)
     SELECT id, product_id, qty, 'active', token_hash, created_at, expires_at, buyer_id FROM req
   ), taken AS (
     UPDATE products p SET available = p.available - t.qty
     FROM (SELECT product_id, sum(qty) AS qty FROM req GROUP BY product_id) AS t
     WHERE p.id = t.product_id
   )
   SELECT ord, id FROM req ORDER BY ord`,
);

/** Takes stock for each request, first-fit in array order; see FlashSaleStore.reserveHolds. */
export async function reserveHolds(ex: Executor, requests: readonly ReserveRequest[]): Promise<Replayable<ReserveOutcome>[]> {
  if (requests.length === 0) return [];
  const productId = requests[0]!.productId;
  let oneProduct = true;
  for (const request of requests) {
    if (request.idempotency) return ex.transaction((query) => reserveBatch(query, requests));
    if (request.productId !== productId) oneProduct = false;
  }
  return reserveInOneStatement(ex, oneProduct ? productId : requests.map((r) => r.productId), requests);
}

interface ReserveHoldsRow {
  hold_id: string | null;
  stock_left: string | null;
  refusal: string | null;
  starts_at: string | null;
  limit_units: string | null;
  remaining: string | null;
}

/** One statement for the whole batch: reserve_holds() for one product, reserve_holds_many() for several. */
async function reserveInOneStatement(ex: Executor, products: number | number[], requests: readonly ReserveRequest[]): Promise<Replayable<ReserveOutcome>[]> {
  const { rows } = await ex.statement<ReserveHoldsRow>(typeof products === 'number' ? RESERVE_FOR_ONE_PRODUCT : RESERVE_FOR_MANY_PRODUCTS, [
    products,
    requests.map((r) => r.qty),
    requests.map((r) => r.tokenHash),
    requests.map((r) => r.createdAt),
    requests.map((r) => r.expiresAt),
    requests.map((r) => r.buyerId ?? null),
  ]);
  if (rows.length !== requests.length) throw new Error(`reserve_holds answered ${rows.length} rows for ${requests.length} requests`);
  return rows.map((row, i): Replayable<ReserveOutcome> => ({ kind: 'done', outcome: outcomeOfRow(row, requests[i]!) }));
}

/** A row of reserve_holds() or reserve_holds_many() as the outcome the core's planner would have given. */
function outcomeOfRow(row: ReserveHoldsRow, request: ReserveRequest): ReserveOutcome {
  switch (row.refusal) {
    case null:
      return { kind: 'held', hold: holdOf(request, int(row.hold_id)), stockLeft: int(row.stock_left) };
    case 'product_not_found':
    case 'sale_ended':
    case 'buyer_required':
      return { kind: 'refused', code: row.refusal };
    case 'insufficient_stock':
      return { kind: 'refused', code: 'insufficient_stock', stockLeft: int(row.stock_left) };
    case 'sale_not_started':
      return { kind: 'refused', code: 'sale_not_started', startsAt: int(row.starts_at) };
    case 'buyer_limit_exceeded':
      return { kind: 'refused', code: 'buyer_limit_exceeded', limit: int(row.limit_units), remaining: int(row.remaining) };
    default:
      throw new Error(`reserve_holds answered an unknown refusal: ${row.refusal}`);
  }
}

async function reserveBatch(query: Query, requests: readonly ReserveRequest[]): Promise<Replayable<ReserveOutcome>[]> {
  const claims = requests.flatMap((r) => (r.idempotency ? [claimFor(r.idempotency, r.createdAt)] : []));
  const stored = claims.length > 0 ? await claimKeys(query, claims) : new Map<string, StoredReplay>();

  const productIds = [...new Set(requests.map((r) => r.productId))].sort((a, b) => a - b);
  const locked = await query<{ id: string; available: string; sale_starts_at: string | null; sale_ends_at: string | null; max_per_buyer: string | null }>(LOCK_PRODUCTS, [productIds]);
  const products = new Map<number, PlannedProduct>(
    locked.rows.map((row) => [
      int(row.id),
      { available: int(row.available), saleStartsAt: intOrNull(row.sale_starts_at), saleEndsAt: intOrNull(row.sale_ends_at), maxPerBuyer: intOrNull(row.max_per_buyer) },
    ]),
  );
  const plan = planReservations(requests, products, new Set(stored.keys()), await countBuyerUnits(query, buyersToCount(requests, products)));

  const grants = requests.filter((_, i) => plan.decisions[i]!.kind === 'grant');
  const ids: number[] = [];
  if (grants.length > 0) {
    const inserted = await query<{ ord: string; id: string }>(INSERT_HOLDS, [
      grants.map((r) => r.productId),
      grants.map((r) => r.qty),
      grants.map((r) => r.tokenHash),
      grants.map((r) => r.createdAt),
      grants.map((r) => r.expiresAt),
      grants.map((r) => r.buyerId ?? null),
    ]);
    for (const row of inserted.rows) ids[int(row.ord) - 1] = int(row.id);
  }

  const results: Replayable<ReserveOutcome>[] = [];
  const bodies = new Map<number, string>();
  let granted = 0;
  plan.decisions.forEach((decision, i) => {
    const request = requests[i]!;
    if (decision.kind === 'replay-stored') return void results.push(stored.get(idempotencyKeyId(request.idempotency!))!);
    if (decision.kind === 'replay-earlier') {
      return void results.push({ kind: 'replay', fingerprint: requests[decision.of]!.idempotency!.fingerprint, body: bodies.get(decision.of)! });
    }
    const outcome = reservationOutcome(request, decision, decision.kind === 'grant' ? ids[granted++] : undefined);
    results.push({ kind: 'done', outcome });
    if (request.idempotency && plan.keyOwners.get(idempotencyKeyId(request.idempotency)) === i) bodies.set(i, storedAnswer(request.idempotency, outcome)!);
  });
  // Every key this transaction claimed gets its answer, or loses its placeholder when none is remembered.
  const keys = new Map(requests.flatMap((r) => (r.idempotency ? [[idempotencyKeyId(r.idempotency), r.idempotency] as const] : [])));
  const answers = [...plan.keyOwners].map(([id, owner]): KeyAnswer => {
    const key = owner === undefined ? keys.get(id)! : requests[owner]!.idempotency!;
    return { scope: key.scope, keyHash: key.keyHash, fingerprint: key.fingerprint, body: owner === undefined ? undefined : bodies.get(owner) };
  });
  await finishKeys(query, answers);
  return results;
}

/** The units of each (product, buyer) the planner must know, in one query; none when no limited product is asked. */
async function countBuyerUnits(query: Query, pairs: { productId: number; buyerId: string }[]): Promise<Map<string, number>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await query<{ product_id: string; buyer_id: string; units: string }>(BUYER_UNITS, [pairs.map((p) => p.productId), pairs.map((p) => p.buyerId)]);
  return new Map(rows.map((row) => [buyerUnitsKey(int(row.product_id), row.buyer_id), int(row.units)]));
}

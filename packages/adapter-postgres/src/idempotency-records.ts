import { flashSaleError, idempotencyKeyId, type IdempotencyScope, type IdempotencyKey, type StoredReplay } from '@flashsale/core';
import { RetryUnit, type Query } from './executor.js';
import { isLockTimeout } from './pg-errors.js';
import { sql } from './statement.js';

/**
 * Idempotency records, written in the same transaction as the effect they remember.
 *
 * A keyed unit first inserts a placeholder row for its key (`claimKeys`). When another
 * transaction holds the same key uncommitted, that insert waits on the primary key: concurrent
 * duplicates serialise there, before any stock is touched. When the wait ends the insert either
 * owns the key (the other rolled back or stored nothing) or finds the committed answer, which is
 * then replayed. A wait longer than `lock_timeout` is `idempotency_in_flight`. Before commit,
 * `finishKeys` fills in the answer, or deletes the placeholder when nothing is to be remembered.
 */

export interface KeyClaim {
  scope: IdempotencyScope;
  keyHash: string;
  fingerprint: string;
  createdAt: number;
}

export interface KeyAnswer {
  scope: IdempotencyScope;
  keyHash: string;
  fingerprint: string;
  /** The stored answer; undefined drops the placeholder. */
  body: string | undefined;
}

/** One string per key: the core's, so this module and the core's planner agree. */
export const keyOf = idempotencyKeyId;

export function claimFor(write: IdempotencyKey, createdAt: number): KeyClaim {
  return { scope: write.scope, keyHash: write.keyHash, fingerprint: write.fingerprint, createdAt };
}

// Inserted in key order, so two units claiming overlapping keys cannot deadlock on them.
const CLAIM = sql(
  'claim-keys',
  `INSERT INTO idempotency_records (scope, key_hash, fingerprint, body, created_at)
   SELECT scope, key_hash, fingerprint, NULL, created_at
   FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS c (scope, key_hash, fingerprint, created_at)
   ORDER BY scope, key_hash
   ON CONFLICT DO NOTHING
   RETURNING scope, key_hash`,
);

const STORED = sql(
  'stored-keys',
  `SELECT r.scope, r.key_hash, r.fingerprint, r.body
   FROM idempotency_records r
   JOIN unnest($1::text[], $2::text[]) AS k (scope, key_hash) ON r.scope = k.scope AND r.key_hash = k.key_hash`,
);

const FINISH = sql(
  'finish-keys',
  `WITH kept AS (
     UPDATE idempotency_records r SET fingerprint = k.fingerprint, body = k.body
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k (scope, key_hash, fingerprint, body)
     WHERE r.scope = k.scope AND r.key_hash = k.key_hash
   ), dropped AS (
     DELETE FROM idempotency_records r
     USING unnest($5::text[], $6::text[]) AS d (scope, key_hash)
     WHERE r.scope = d.scope AND r.key_hash = d.key_hash
   )
   SELECT 1`,
);

/**
 * Claims every distinct key (first claim of a key wins). Returns the stored answers of the keys
 * that already had one; every other key is now owned by this transaction.
 */
export async function claimKeys(query: Query, claims: readonly KeyClaim[]): Promise<Map<string, StoredReplay>> {
  const distinct = new Map<string, KeyClaim>();
  for (const claim of claims) if (!distinct.has(keyOf(claim))) distinct.set(keyOf(claim), claim);
  const list = [...distinct.values()];
  let inserted;
  try {
    inserted = await query<{ scope: IdempotencyScope; key_hash: string }>(CLAIM, [
      list.map((c) => c.scope),
      list.map((c) => c.keyHash),
      list.map((c) => c.fingerprint),
      list.map((c) => c.createdAt),
    ]);
  } catch (err) {
    if (isLockTimeout(err)) throw flashSaleError('idempotency_in_flight', { cause: err });
    throw err;
  }
  const owned = new Set(inserted.rows.map((row) => keyOf({ scope: row.scope, keyHash: row.key_hash })));
  const taken = list.filter((c) => !owned.has(keyOf(c)));
  const replays = new Map<string, StoredReplay>();
  if (taken.length === 0) return replays;
  const stored = await query<{ scope: IdempotencyScope; key_hash: string; fingerprint: string; body: string | null }>(STORED, [
    taken.map((c) => c.scope),
    taken.map((c) => c.keyHash),
  ]);
  for (const row of stored.rows) {
    // Committed rows always carry a body; a NULL one would be a transaction still at work.
    if (row.body === null) throw flashSaleError('idempotency_in_flight');
    replays.set(keyOf({ scope: row.scope, keyHash: row.key_hash }), { kind: 'replay', fingerprint: row.fingerprint, body: row.body });
  }
  // A record purged between the two statements: start over, the key is free now.
  if (replays.size !== taken.length) throw new RetryUnit('idempotency record vanished');
  return replays;
}

/** Stores the answers of owned keys, and drops the placeholders of keys with nothing to remember. */
export async function finishKeys(query: Query, answers: readonly KeyAnswer[]): Promise<void> {
  if (answers.length === 0) return;
  const kept = answers.filter((a) => a.body !== undefined);
  const dropped = answers.filter((a) => a.body === undefined);
  await query(FINISH, [
    kept.map((a) => a.scope),
    kept.map((a) => a.keyHash),
    kept.map((a) => a.fingerprint),
    kept.map((a) => a.body),
    dropped.map((a) => a.scope),
    dropped.map((a) => a.keyHash),
  ]);
}

import { FlashSaleError, flashSaleError, idempotencyKeyId, type IdempotencyKey, type IdempotencyScope, type StoredReplay } from '@flashsale/core';
import { RetryUnit, type Session } from './executor.js';
import { isLockWaitTimeout } from './mysql-errors.js';
import { placeholders } from './rows.js';

/**
 * Idempotency records, written in the same transaction as the effect they remember.
 *
 * A keyed unit first inserts a placeholder row (body NULL) for its key (`claimKeys`), with
 * INSERT IGNORE. When another transaction holds the same key uncommitted, InnoDB's duplicate check
 * waits for that row's lock, whatever the isolation level (READ COMMITTED included): concurrent
 * duplicates serialise there, before any stock is touched. When the wait ends the insert either
 * owns the key (the other rolled back or stored nothing: the row is gone and this one goes in) or
 * is ignored as a duplicate of the committed answer, which is then read and replayed. A wait past
 * `innodb_lock_wait_timeout` (1205) is `idempotency_in_flight`. Before commit, `finishKeys` fills
 * in the answer, or deletes the placeholder when nothing is to be remembered.
 *
 * INSERT IGNORE turns other errors into warnings too, truncating a value too long for its column
 * for one. So claims are checked first against the columns: an ASCII key hash and fingerprint of
 * at most 255 characters (the engine's are 64 hex digits), a known scope.
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

const SCOPES = new Set<string>(['hold', 'order', 'payment']);
const STORABLE_HASH = /^[\x21-\x7e]{1,255}$/;

/**
 * Claims every distinct key (first claim of a key wins), in key order, so two units claiming
 * overlapping keys cannot deadlock on them. Returns the stored answers of the keys that already
 * had one; every other key is now owned by this transaction.
 */
export async function claimKeys(session: Session, claims: readonly KeyClaim[]): Promise<Map<string, StoredReplay>> {
  const distinct = new Map<string, KeyClaim>();
  for (const claim of claims) {
    assertStorable(claim);
    if (!distinct.has(keyOf(claim))) distinct.set(keyOf(claim), claim);
  }
  const list = [...distinct.values()].sort((a, b) => compare(a.scope, b.scope) || compare(a.keyHash, b.keyHash));
  let inserted;
  try {
    inserted = await session.run(
      `INSERT IGNORE INTO idempotency_records (scope, key_hash, fingerprint, body, created_at) VALUES ${placeholders(list.length, '(?, ?, ?, NULL, ?)')}`,
      list.flatMap((c) => [c.scope, c.keyHash, c.fingerprint, c.createdAt]),
    );
  } catch (err) {
    if (isLockWaitTimeout(err)) throw flashSaleError('idempotency_in_flight', { cause: err });
    throw err;
  }
  const replays = new Map<string, StoredReplay>();
  if (inserted.affectedRows === list.length) return replays;
  // Some keys were taken. Read them all: this transaction's own placeholders have no body yet
  // (every committed record has one), so a row with a body is an earlier request's answer.
  const rows = await session.rows<{ scope: IdempotencyScope; key_hash: string; fingerprint: string; body: string | null }>(
    `SELECT scope, key_hash, fingerprint, body FROM idempotency_records WHERE (scope, key_hash) IN (${placeholders(list.length, '(?, ?)')})`,
    list.flatMap((c) => [c.scope, c.keyHash]),
  );
  let ours = 0;
  for (const row of rows) {
    if (row.body === null) ours++;
    else replays.set(keyOf({ scope: row.scope, keyHash: row.key_hash }), { kind: 'replay', fingerprint: row.fingerprint, body: row.body });
  }
  // A record purged between the two statements: start over, the key is free now.
  if (ours !== inserted.affectedRows || ours + replays.size !== list.length) throw new RetryUnit('idempotency record vanished');
  return replays;
}

/** Stores the answers of owned keys, and drops the placeholders of keys with nothing to remember. */
export async function finishKeys(session: Session, answers: readonly KeyAnswer[]): Promise<void> {
  const kept = answers.filter((a) => a.body !== undefined);
  const dropped = answers.filter((a) => a.body === undefined);
  for (const answer of kept) {
    await session.run('UPDATE idempotency_records SET fingerprint = ?, body = ? WHERE scope = ? AND key_hash = ?', [
      answer.fingerprint,
      answer.body,
      answer.scope,
      answer.keyHash,
    ]);
  }
  if (dropped.length > 0) {
    await session.run(
      `DELETE FROM idempotency_records WHERE (scope, key_hash) IN (${placeholders(dropped.length, '(?, ?)')})`,
      dropped.flatMap((a) => [a.scope, a.keyHash]),
    );
  }
}

function assertStorable(claim: KeyClaim): void {
  if (!SCOPES.has(claim.scope) || !STORABLE_HASH.test(claim.keyHash) || !STORABLE_HASH.test(claim.fingerprint)) {
    throw new FlashSaleError('invalid_input', 'An idempotency key hash or fingerprint is not 1 to 255 printable ASCII characters.');
  }
}

/** Byte order, as the ascii_bin primary key sorts. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

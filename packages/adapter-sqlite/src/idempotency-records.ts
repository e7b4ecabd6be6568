import type { IdempotencyScope, IdempotencyWrite, Replayable } from '@flashsale/core';
import type { Connection } from './connection.js';

/**
 * Idempotency records, written in the same transaction as the effect they remember. Every keyed
 * unit runs under SQLite's write lock (BEGIN IMMEDIATE), so nothing else can store an answer for
 * a key between looking it up and storing this one.
 */

const FIND = 'SELECT fingerprint, body FROM idempotency_records WHERE scope = ? AND key_hash = ?';

const STORE = `INSERT INTO idempotency_records (scope, key_hash, fingerprint, body, created_at)
               VALUES (@scope, @keyHash, @fingerprint, @body, @createdAt)`;

export interface IdempotencyRecords {
  /** Looks the key up, acts only when it is new, and stores the answer in the same transaction. */
  keyed<T>(write: IdempotencyWrite<T> | undefined, now: number, act: () => T): Replayable<T>;
}

export function prepareIdempotencyRecords(conn: Connection): IdempotencyRecords {
  const find = conn.db.prepare<[scope: IdempotencyScope, keyHash: string], { fingerprint: string; body: string }>(FIND);
  const store = conn.db.prepare<{ scope: IdempotencyScope; keyHash: string; fingerprint: string; body: string; createdAt: number }>(STORE);
  return {
    keyed(write, now, act) {
      if (write) {
        const found = find.get(write.scope, write.keyHash);
        if (found) return { kind: 'replay', fingerprint: found.fingerprint, body: found.body };
      }
      const outcome = act();
      const body = write?.encode(outcome);
      if (write && body !== undefined) {
        store.run({ scope: write.scope, keyHash: write.keyHash, fingerprint: write.fingerprint, body, createdAt: now });
      }
      return { kind: 'done', outcome };
    },
  };
}

import { storedAnswer, type IdempotencyKey, type IdempotencyScope, type OutcomeOfScope, type Replayable, type StoredReplay } from '@flashsale/core';
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
  keyed<S extends IdempotencyScope>(key: IdempotencyKey<S> | undefined, now: number, act: () => OutcomeOfScope[S]): Replayable<OutcomeOfScope[S]>;
  /** The committed answer of a key, if it has one. */
  find(key: IdempotencyKey): StoredReplay | undefined;
  /** Stores the body of a key's answer (see `storedAnswer`). */
  store(key: IdempotencyKey, body: string, now: number): void;
}

export function prepareIdempotencyRecords(conn: Connection): IdempotencyRecords {
  const find = conn.db.prepare<[scope: IdempotencyScope, keyHash: string], { fingerprint: string; body: string }>(FIND);
  const store = conn.db.prepare<{ scope: IdempotencyScope; keyHash: string; fingerprint: string; body: string; createdAt: number }>(STORE);
  const records: IdempotencyRecords = {
    find(key) {
      const found = find.get(key.scope, key.keyHash);
      return found && { kind: 'replay', fingerprint: found.fingerprint, body: found.body };
    },
    store(key, body, now) {
      store.run({ scope: key.scope, keyHash: key.keyHash, fingerprint: key.fingerprint, body, createdAt: now });
    },
    keyed(key, now, act) {
      const found = key && records.find(key);
      if (found) return found;
      const outcome = act();
      const body = key && storedAnswer(key, outcome);
      if (key && body !== undefined) records.store(key, body, now);
      return { kind: 'done', outcome };
    },
  };
  return records;
}

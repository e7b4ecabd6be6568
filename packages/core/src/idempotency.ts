import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** The use cases that accept an idempotency key; a key is unique within its scope. */
export type IdempotencyScope = 'hold' | 'order' | 'payment';

/**
 * What the engine hands a store with a keyed request: data only. The store looks the key up inside
 * the same atomic unit as the effect; when it is new, it stores `storedAnswer(key, outcome)`
 * together with the effect (`stored-answer.ts`; `undefined` when the rule of `rules.ts` says the
 * answer is not remembered).
 */
export interface IdempotencyKey<S extends IdempotencyScope = IdempotencyScope> {
  scope: S;
  /** SHA-256 of scope and key: the raw key is never stored. */
  keyHash: string;
  /** SHA-256 of the request, to tell a replay from a reuse of the key with another request. */
  fingerprint: string;
  /**
   * Kept with the stored answer and given back with its replay; opaque to the store. A hold's
   * token, sealed under the raw key (see `sealWithKey`), so a retry gets its token back.
   */
  attachment?: string;
}

/** A stored answer the store found instead of acting. */
export interface StoredReplay {
  kind: 'replay';
  fingerprint: string;
  body: string;
}

/** Either the outcome of acting now, or the stored answer of an earlier request with the key. */
export type Replayable<TOutcome> = { kind: 'done'; outcome: TOutcome } | StoredReplay;

export function hashIdempotencyKey(scope: IdempotencyScope, key: string): string {
  return createHash('sha256').update(`${scope}\u0000${key}`, 'utf8').digest('hex');
}

/** A stable digest of a request: keys are sorted so property order does not matter. */
export function fingerprintRequest(request: Record<string, unknown>): string {
  const canonical = JSON.stringify(request, Object.keys(request).sort());
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * Encrypts a secret (a hold token) under a key derived from the raw idempotency key. The stored
 * replay body can then give the token back to the client that retries with the same key, while a
 * reader of the database, who only ever sees the key's hash, cannot recover it.
 */
export function sealWithKey(idempotencyKey: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(idempotencyKey), iv);
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), sealed].map((part) => part.toString('base64url')).join('.');
}

export function openWithKey(idempotencyKey: string, sealed: string): string {
  const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !data) throw new Error('malformed sealed value');
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(idempotencyKey), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

function deriveKey(idempotencyKey: string): Buffer {
  return createHash('sha256').update(`flashsale-replay-seal\u0000${idempotencyKey}`, 'utf8').digest();
}

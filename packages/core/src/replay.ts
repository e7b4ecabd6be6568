import { flashSaleError } from './errors.js';
import { fingerprintRequest, hashIdempotencyKey, type IdempotencyScope, type IdempotencyWrite, type Replayable } from './idempotency.js';

/** The idempotency write of a keyed request: the key's hash, the request's fingerprint, and how its answer is stored. */
export function idempotencyFor<T>(
  scope: IdempotencyScope,
  key: string,
  request: Record<string, unknown>,
  encode: (outcome: T) => string | undefined,
): IdempotencyWrite<T> {
  return { scope, keyHash: hashIdempotencyKey(scope, key), fingerprint: fingerprintRequest(request), encode };
}

/**
 * The outcome itself, or the stored one when the store found a replay of this key; undefined
 * when the key was first used with another request (idempotency_key_reuse).
 */
export function resolveReplay<T>(result: Replayable<T>, write: IdempotencyWrite<T> | undefined): { outcome: T; replayed: boolean } | undefined {
  if (result.kind === 'done') return { outcome: result.outcome, replayed: false };
  if (!write || result.fingerprint !== write.fingerprint) return undefined;
  return { outcome: JSON.parse(result.body) as T, replayed: true };
}

/** `resolveReplay`, with a reused key thrown as `idempotency_key_reuse`. */
export function replayOrThrow<T>(result: Replayable<T>, write: IdempotencyWrite<T> | undefined): { outcome: T; replayed: boolean } {
  const resolved = resolveReplay(result, write);
  if (!resolved) throw flashSaleError('idempotency_key_reuse');
  return resolved;
}

import { flashSaleError } from './errors.js';
import { fingerprintRequest, hashIdempotencyKey, type IdempotencyKey, type IdempotencyScope, type Replayable } from './idempotency.js';
import { readStoredAnswer, type OutcomeOfScope } from './stored-answer.js';

/** The idempotency key of a keyed request: the key's hash, the request's fingerprint, an optional attachment. */
export function idempotencyKeyFor<S extends IdempotencyScope>(
  scope: S,
  key: string,
  request: Record<string, unknown>,
  attachment?: string,
): IdempotencyKey<S> {
  return {
    scope,
    keyHash: hashIdempotencyKey(scope, key),
    fingerprint: fingerprintRequest(request),
    ...(attachment === undefined ? {} : { attachment }),
  };
}

/** A store's answer as the engine uses it: the outcome, whether it is a replay, and the replay's attachment. */
export interface Resolved<S extends IdempotencyScope> {
  outcome: OutcomeOfScope[S];
  replayed: boolean;
  attachment?: string;
}

/**
 * The outcome itself, or the stored one when the store found a replay of this key; undefined
 * when the key was first used with another request (idempotency_key_reuse).
 */
export function resolveReplay<S extends IdempotencyScope>(
  scope: S,
  result: Replayable<OutcomeOfScope[S]>,
  key: IdempotencyKey | undefined,
): Resolved<S> | undefined {
  if (result.kind === 'done') return { outcome: result.outcome, replayed: false };
  if (!key || result.fingerprint !== key.fingerprint) return undefined;
  return { ...readStoredAnswer(scope, result.body), replayed: true };
}

/** `resolveReplay`, with a reused key thrown as `idempotency_key_reuse`. */
export function replayOrThrow<S extends IdempotencyScope>(scope: S, result: Replayable<OutcomeOfScope[S]>, key: IdempotencyKey | undefined): Resolved<S> {
  const resolved = resolveReplay(scope, result, key);
  if (!resolved) throw flashSaleError('idempotency_key_reuse');
  return resolved;
}

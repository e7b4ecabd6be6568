import { FlashSaleError, flashSaleError } from '@flashsale/core';

/**
 * Driver errors, translated into the engine's typed errors. Recognised by SQLSTATE or Node error
 * code, never by class, so any copy of `pg` works.
 */

/** Deadlock and serialization failures: the transaction was rolled back and can safely run again. */
export function isRetryable(err: unknown): boolean {
  const code = sqlState(err);
  return code === '40001' || code === '40P01';
}

/** 55P03: a lock wait ran past `lock_timeout`. */
export function isLockTimeout(err: unknown): boolean {
  return sqlState(err) === '55P03';
}

const NODE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
]);

/** Messages pg gives connection failures that carry no code. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Connection terminated unexpectedly',
  // pg's client-side read timeout: the server went silent, so the connection cannot be trusted.
  'Query read timeout',
];

/**
 * True when the connection (or the server) is gone or refusing work: the client must be thrown
 * away and the caller told storage is unavailable. Covers SQLSTATE classes 08 (connection),
 * 53 (insufficient resources, such as too many connections), 57P (shutdown, crash, terminated by
 * an administrator) and 58 (system errors).
 */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NODE_NETWORK_CODES.has(code)) return true;
    if (/^(08|53|57P|58)/.test(code)) return true;
  }
  const nested = (err as { errors?: unknown }).errors;
  if (Array.isArray(nested) && nested.some(isConnectionError)) return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => message.includes(m));
}

/**
 * 22021 character_not_in_repertoire (a NUL, which no text column holds) and 22P05
 * untranslatable_character (a character the database's encoding lacks, such as an emoji on a
 * LATIN1 database). The engine refuses NUL before any store sees it; these stay a refusal of the
 * input, not an unknown error, for callers of the store itself and for non-UTF-8 databases.
 */
const UNSTORABLE_TEXT = new Set(['22021', '22P05']);

/**
 * The error a store method throws for `err`: flashsale errors pass through; unavailability,
 * timeouts and exhausted retries become `storage_unavailable`; values the schema cannot hold become
 * `invalid_input`. Anything else is a bug and is rethrown unchanged.
 */
export function translatePgError(err: unknown): unknown {
  if (FlashSaleError.is(err)) return err;
  const code = sqlState(err);
  if (isConnectionError(err) || isLockTimeout(err) || isRetryable(err) || code === '57014') {
    return flashSaleError('storage_unavailable', { cause: err });
  }
  if (code === '23505' && constraintOf(err) === 'idempotency_records_pkey') {
    return flashSaleError('idempotency_in_flight', { cause: err });
  }
  if (code === '22003' || code === '23514') {
    return new FlashSaleError('invalid_input', 'A value is out of the range the store can hold.', { cause: err });
  }
  if (code !== undefined && UNSTORABLE_TEXT.has(code)) {
    return new FlashSaleError('invalid_input', 'A text contains a character the database cannot store.', { cause: err });
  }
  return err;
}

export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  // SQLSTATE classes are digits or F0/HV/P0/XX; this keeps Node codes such as EPIPE out.
  return typeof code === 'string' && /^[0-9FHPX][0-9A-Z]{4}$/.test(code) ? code : undefined;
}

function constraintOf(err: unknown): string | undefined {
  const constraint = (err as { constraint?: unknown }).constraint;
  return typeof constraint === 'string' ? constraint : undefined;
}

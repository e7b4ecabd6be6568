import { FlashSaleError, flashSaleError } from '@flashsale/core';

/**
 * Driver errors, translated into the engine's typed errors. Recognised by the server's `errno`
 * and by mysql2's or Node's `code`, never by class, so any copy of mysql2 works. The numbers are
 * the same on MySQL and MariaDB unless a comment says otherwise.
 */

/** 1213 ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back, so it can safely run again. */
export function isDeadlock(err: unknown): boolean {
  return errnoOf(err) === 1213;
}

/** 1205 ER_LOCK_WAIT_TIMEOUT: a row lock was waited for past `innodb_lock_wait_timeout`. */
export function isLockWaitTimeout(err: unknown): boolean {
  return errnoOf(err) === 1205;
}

/**
 * Server errors that mean the server is going away or refusing work: the connection must not be
 * trusted again.
 * - 1040 ER_CON_COUNT_ERROR, 1203 ER_TOO_MANY_USER_CONNECTIONS: no connection to be had.
 * - 1053 ER_SERVER_SHUTDOWN, 1077 ER_NORMAL_SHUTDOWN.
 * - 1152 ER_ABORTING_CONNECTION, 1184 ER_NEW_ABORTING_CONNECTION.
 * - 1927 ER_CONNECTION_KILLED (MariaDB: `KILL <id>` of this connection).
 * - 2006 CR_SERVER_GONE_ERROR, 2013 CR_SERVER_LOST (client codes some proxies relay).
 * - 4031 ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24+: the server ended an idle connection).
 */
const CONNECTION_ERRNOS = new Set([1040, 1203, 1053, 1077, 1152, 1184, 1927, 2006, 2013, 4031]);

/**
 * Statements the server stopped, on a connection that may still work: 1317 ER_QUERY_INTERRUPTED
 * (`KILL QUERY`, or MySQL's answer to a killed connection), 3024 ER_QUERY_TIMEOUT (MySQL's
 * `max_execution_time`), 1969 ER_STATEMENT_TIMEOUT (MariaDB's `max_statement_time`).
 */
const INTERRUPTED_ERRNOS = new Set([1317, 3024, 1969]);

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

/**
 * mysql2's own codes for a connection it gave up on. PROTOCOL_SEQUENCE_TIMEOUT is the per-query
 * `timeout` firing: the server went silent, so the connection cannot be trusted either.
 */
const DRIVER_CONNECTION_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'PROTOCOL_PACKETS_OUT_OF_ORDER',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_CONNECTION_KILLED',
  // The store's own: no pooled connection came free within connectTimeoutMs.
  'FLASHSALE_POOL_TIMEOUT',
]);

/**
 * True when the connection (or the server) is gone or refusing work: the connection must be
 * destroyed, never returned to the pool, and the caller told storage is unavailable. mysql2 marks
 * every error after which a connection is unusable with `fatal: true`.
 */
export function isConnectionError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as { fatal?: unknown }).fatal === true) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NODE_NETWORK_CODES.has(code) || DRIVER_CONNECTION_CODES.has(code))) return true;
  const errno = errnoOf(err);
  if (errno !== undefined && CONNECTION_ERRNOS.has(errno)) return true;
  const nested = (err as { errors?: unknown }).errors;
  return Array.isArray(nested) && nested.some(isConnectionError);
}

/**
 * Values the schema cannot hold:
 * - 1366 ER_TRUNCATED_WRONG_VALUE_FOR_FIELD ("Incorrect string value": text the column's or the
 *   connection's character set cannot store), 1300 ER_INVALID_CHARACTER_STRING;
 * - 1406 ER_DATA_TOO_LONG;
 * - 1264 ER_WARN_DATA_OUT_OF_RANGE, 1690 ER_DATA_OUT_OF_RANGE;
 * - 3819 ER_CHECK_CONSTRAINT_VIOLATED (MySQL), 4025 ER_CONSTRAINT_FAILED (MariaDB).
 */
const OUT_OF_RANGE_ERRNOS = new Set([1264, 1690, 3819, 4025, 1406]);
const UNSTORABLE_TEXT_ERRNOS = new Set([1366, 1300]);

/**
 * The error a store method throws for `err`: flashsale errors pass through; unavailability,
 * timeouts, lock waits and exhausted deadlock retries become `storage_unavailable`; values the
 * schema cannot hold become `invalid_input`. Anything else is a bug and is rethrown unchanged.
 */
export function translateMysqlError(err: unknown): unknown {
  if (FlashSaleError.is(err)) return err;
  const errno = errnoOf(err);
  if (isConnectionError(err) || isLockWaitTimeout(err) || isDeadlock(err) || (errno !== undefined && INTERRUPTED_ERRNOS.has(errno))) {
    return flashSaleError('storage_unavailable', { cause: err });
  }
  if (errno !== undefined && UNSTORABLE_TEXT_ERRNOS.has(errno)) {
    return new FlashSaleError('invalid_input', 'A text contains a character the database cannot store.', { cause: err });
  }
  if (errno !== undefined && OUT_OF_RANGE_ERRNOS.has(errno)) {
    return new FlashSaleError('invalid_input', 'A value is out of the range the store can hold.', { cause: err });
  }
  return err;
}

/** The server's error number, when the error came from the server. */
export function errnoOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const errno = (err as { errno?: unknown }).errno;
  return typeof errno === 'number' ? errno : undefined;
}

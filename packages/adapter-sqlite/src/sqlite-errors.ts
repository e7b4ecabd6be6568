import { FlashSaleError, flashSaleError } from '@flashsale/core';

/**
 * Driver errors, translated into the engine's typed errors. Recognised by better-sqlite3's `code`
 * (SQLite's extended result code, such as SQLITE_BUSY_SNAPSHOT), never by class, so any copy of
 * the driver works.
 */

/**
 * The lock stayed taken past the busy timeout (BUSY), a table is locked by another connection of
 * this process (LOCKED), the disk failed to read or write (IOERR), or it is full (FULL): storage
 * cannot do the work now, and may later.
 */
function isUnavailable(code: string | undefined): boolean {
  if (code === undefined) return false;
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code.startsWith('SQLITE_IOERR');
}

/**
 * The error a store method throws for `err`, given whether the connection is still open:
 * flashsale errors pass through; unavailability and a closed connection (whose errors carry no
 * code) become `storage_unavailable`; a CHECK the schema refused becomes `invalid_input`; any
 * other constraint becomes an internal error that says it is a bug. Anything else is rethrown
 * unchanged.
 *
 * Constraints, one by one:
 * - CHECK (a price, stock or qty below its bound): the engine refuses such values first, so only
 *   a caller of the store itself gets here, with a value it must not send; that is its input, as
 *   on PostgreSQL. `available >= 0` is among them: taking stock is guarded in its WHERE clause
 *   (`available >= @qty`), so an oversell finds no row instead of firing the CHECK; only a
 *   negative stock or restock sent to the store can fire it.
 * - FOREIGN KEY, UNIQUE, PRIMARY KEY, NOT NULL and the rest: every row the store writes refers to
 *   rows it read in the same BEGIN IMMEDIATE transaction, and an idempotency key is looked up
 *   under the same write lock it is stored under, so no request and no other process can cause
 *   one (unlike PostgreSQL, where two transactions can race for a key). One firing is a bug.
 */
export function translateSqliteError(err: unknown, connectionOpen: boolean): unknown {
  if (FlashSaleError.is(err)) return err;
  const code = sqliteCode(err);
  if (isUnavailable(code) || !connectionOpen) return flashSaleError('storage_unavailable', { cause: err });
  if (code === 'SQLITE_CONSTRAINT_CHECK') {
    return new FlashSaleError('invalid_input', 'A value is out of the range the store can hold.', { cause: err });
  }
  if (code?.startsWith('SQLITE_CONSTRAINT')) {
    const detail = err instanceof Error ? `${code}: ${err.message}` : code;
    return new Error(`SQLite refused a write the store itself made (${detail}): a bug in the SQLite store, not bad input.`, { cause: err });
  }
  return err;
}

function sqliteCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' && err.code.startsWith('SQLITE_') ? err.code : undefined;
}

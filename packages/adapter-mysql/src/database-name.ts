/**
 * The database names a store accepts: letters, digits and `_`, starting with a letter or `_`, at
 * most 64 characters (MySQL's identifier length). Such a name needs no quoting beyond backticks
 * and means the same on every server, whatever its `lower_case_table_names`.
 *
 * Its own module, exported as `@flashsale/adapter-mysql/database-name`, so a command line can
 * check a `mysql://…/name` before it opens anything, without loading mysql2.
 */
export const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Whether the store accepts `value` as its database.
 *
 * @example isDatabaseName('shop_2025'); // true
 * @example isDatabaseName('shop-2025'); // false: a dash would need quoting everywhere
 */
export function isDatabaseName(value: string): boolean {
  return DATABASE_NAME.test(value);
}

/** Throws a RangeError naming the rule unless `database` is a name the store accepts. */
export function assertDatabaseName(database: string): void {
  if (!isDatabaseName(database)) {
    throw new RangeError(`database must match ${DATABASE_NAME} (letters, digits, _), got ${JSON.stringify(database)}`);
  }
}

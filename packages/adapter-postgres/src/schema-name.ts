/**
 * The schema names a store accepts: lower-case letters, digits and `_`, starting with a letter or
 * `_`, at most 63 characters (PostgreSQL's identifier length). Such a name needs no quoting
 * anywhere, not even in a libpq `options` string.
 *
 * Its own module, exported as `@flashsale/adapter-postgres/schema-name`, so a command line can
 * check a `?schema=` before it opens anything, without loading pg.
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Whether the store accepts `value` as its schema.
 *
 * @example isSchemaName('sale_2025'); // true
 * @example isSchemaName('Sale');      // false: upper case would need quoting
 */
export function isSchemaName(value: string): boolean {
  return SCHEMA_NAME.test(value);
}

/** Throws a RangeError naming the rule unless `schema` is a name the store accepts. */
export function assertSchemaName(schema: string): void {
  if (!isSchemaName(schema)) {
    throw new RangeError(`schema must match ${SCHEMA_NAME} (lower-case letters, digits, _), got ${JSON.stringify(schema)}`);
  }
}

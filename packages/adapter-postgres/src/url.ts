/**
 * True when `value` names a PostgreSQL database (`postgres://` or `postgresql://`), so a CLI can
 * tell it from a SQLite path.
 *
 * @example
 * isPostgresUrl('postgres://app@db/shop'); // true
 * isPostgresUrl('./shop.db');              // false
 */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(value);
}

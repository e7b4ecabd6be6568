import type { Database, Statement } from 'better-sqlite3';

/**
 * Every statement the store runs. Values are always bound parameters. `available >= @qty` in the
 * WHERE clause is both selector and guard: stock can never go below zero, whatever the caller does.
 */
const SQL = {
  availableStock: 'SELECT available FROM products WHERE id = ?',
  takeStock: 'UPDATE products SET available = available - @qty WHERE id = @productId AND available >= @qty RETURNING available',
  insertHold: `INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at)
                   VALUES (?, ?, 'active', ?, ?, ?)`,
} as const;

/** Statements that return the first column of each row rather than row objects. */
const PLUCKED: ReadonlySet<keyof typeof SQL> = new Set(['availableStock'] as const);

export type Statements = Record<keyof typeof SQL, Statement>;

/** Prepares every statement once per connection. */
export function prepareStatements(db: Database): Statements {
  const prepared = Object.entries(SQL).map(([name, sql]) => {
    const statement = db.prepare(sql);
    return [name, PLUCKED.has(name as keyof typeof SQL) ? statement.pluck() : statement];
  });
  return Object.fromEntries(prepared) as Statements;
}

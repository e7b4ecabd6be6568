import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';

const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** The numbered `.sql` files shipped with this package, in order. Never edit one once released. */
export function listMigrations(): { version: number; name: string; sql: string }[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{4}-[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file,
      sql: readFileSync(new URL(file, MIGRATIONS_DIR), 'utf8'),
    }));
}

/**
 * Applies the migrations the database has not seen, tracked in `PRAGMA user_version`. It runs in
 * one `BEGIN IMMEDIATE` transaction, so when two processes open a fresh file at once the second
 * waits for the first and then finds nothing left to do.
 */
export function migrate(db: Database): { applied: string[] } {
  const pending = (current: number) => listMigrations().filter((m) => m.version > current);
  const apply = db.transaction(() => {
    const current = db.pragma('user_version', { simple: true });
    // The driver types a pragma's answer as unknown; user_version is always an integer.
    if (typeof current !== 'number') throw new TypeError(`PRAGMA user_version answered ${String(current)}`);
    const todo = pending(current);
    for (const migration of todo) {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    return todo.map((m) => m.name);
  });
  return { applied: apply.immediate() };
}

import { readdirSync, readFileSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { registerWallClockEventTime } from './event-clock.js';
import { rebuildOf, rebuildTable } from './table-rebuild.js';

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
 *
 * A migration that rebuilds a table (its `-- +flashsale rebuild-table` lines, see
 * table-rebuild.ts) needs foreign keys off, which SQLite only lets a connection change outside a
 * transaction: when one is pending, foreign keys are turned off before the transaction and back on
 * after it, and the rebuild runs `PRAGMA foreign_key_check` before the transaction commits.
 */
export function migrate(db: Database): { applied: string[] } {
  // The event triggers (0005) call it; a store then registers its own clock over this one.
  registerWallClockEventTime(db);
  const migrations = listMigrations().map((m) => ({ ...m, rebuild: rebuildOf(m.sql) }));
  const pending = (current: number) => migrations.filter((m) => m.version > current);
  const apply = db.transaction(() => {
    const todo = pending(userVersion(db));
    for (const migration of todo) {
      if (migration.rebuild) rebuildTable(db, migration.rebuild);
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    }
    return todo.map((m) => m.name);
  });
  // Read before the write lock, only to know whether foreign keys must be off: the version can
  // only have grown by the time the transaction reads it again, so nothing it finds needs them off
  // when this read did not.
  const toggle = pending(userVersion(db)).some((m) => m.rebuild) && db.pragma('foreign_keys', { simple: true }) === 1;
  if (toggle) db.pragma('foreign_keys = OFF');
  try {
    return { applied: apply.immediate() };
  } finally {
    if (toggle) db.pragma('foreign_keys = ON');
  }
}

function userVersion(db: Database): number {
  const current = db.pragma('user_version', { simple: true });
  // The driver types a pragma's answer as unknown; user_version is always an integer.
  if (typeof current !== 'number') throw new TypeError(`PRAGMA user_version answered ${String(current)}`);
  return current;
}

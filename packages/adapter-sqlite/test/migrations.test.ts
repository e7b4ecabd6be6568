import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { listMigrations, migrate, openSqliteStore } from '../src/index.js';
import { tempDatabase } from './temp-db.js';

/**
 * The migration that rebuilds the holds table (0003, 'released' joins its statuses): it must keep
 * every row, id, index, foreign key and AUTOINCREMENT counter, leave foreign keys on, keep what
 * other migrations added to the table, and change nothing when it cannot finish.
 */

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** A file database at `version`, with the migrations up to it applied and foreign keys on, as a store opens it. */
function databaseAt(version: number, more = ''): Database.Database {
  const file = tempDatabase();
  cleanups.push(file.remove);
  const db = new Database(file.filename);
  cleanups.unshift(() => db.open && db.close());
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  for (const migration of listMigrations().filter((m) => m.version <= version)) db.exec(migration.sql);
  db.exec(more);
  db.pragma(`user_version = ${version}`);
  return db;
}

const SOME_ROWS = `
  INSERT INTO products (id, name, price_cents, available, initial_stock) VALUES (1, 'Shoe', 1000, 4, 10);
  INSERT INTO holds (id, product_id, qty, status, token_hash, created_at, expires_at) VALUES
    (1, 1, 2, 'converted', 'h1', 100, 200), (2, 1, 3, 'expired', 'h2', 110, 210), (3, 1, 4, 'active', 'h3', 120, 220), (4, 1, 1, 'active', 'h4', 130, 230);
  DELETE FROM holds WHERE id = 4;
  INSERT INTO orders (id, hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline) VALUES (1, 1, 1, 2, 2000, 'pending', 150, 1000);
`;

const schemaOf = (db: Database.Database, table: string) =>
  db.prepare<[string], { type: string; name: string; sql: string }>("SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = ? AND type = 'index' ORDER BY name").all(table);

describe('sqlite migration 0003 (hold lifecycle): the holds table rebuilt', () => {
  it('keeps every row, id, index and the AUTOINCREMENT counter, and allows released', () => {
    // At version 2 (drops), so what 0003 finds is what it must keep, buyer_id and its index too.
    const db = databaseAt(2, SOME_ROWS);
    const before = { holds: db.prepare('SELECT * FROM holds ORDER BY id').all(), indexes: schemaOf(db, 'holds') };
    expect(before.indexes.length).toBeGreaterThan(0);

    expect(migrate(db)).toEqual({ applied: listMigrations().filter((m) => m.version > 2).map((m) => m.name) });

    expect(db.prepare('SELECT * FROM holds ORDER BY id').all()).toEqual(before.holds);
    expect(schemaOf(db, 'holds')).toEqual(before.indexes);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.prepare("UPDATE holds SET status = 'released' WHERE id = 3").run();
    expect(() => db.prepare("UPDATE holds SET status = 'lost' WHERE id = 3").run()).toThrow(/CHECK constraint failed/);
    // Hold 4 was deleted: its id is not handed out again.
    expect(db.prepare("INSERT INTO holds (product_id, qty, status, token_hash, created_at, expires_at) VALUES (1, 1, 'active', 'h5', 1, 2)").run().lastInsertRowid).toBe(5);
  });

  it('keeps the foreign keys that point at holds: an order on no hold is still refused', () => {
    const db = databaseAt(1, SOME_ROWS);
    migrate(db);
    expect(() =>
      db.prepare("INSERT INTO orders (hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline) VALUES (99, 1, 1, 1, 'pending', 1, 2)").run(),
    ).toThrow(/FOREIGN KEY constraint failed/);
  });

  it('keeps columns and indexes another migration added to holds, whichever ran first', () => {
    // What a migration of another feature may have done before this one (the shipped ones up to
    // version 2, and more): a column and a partial index on holds.
    const db = databaseAt(2, `${SOME_ROWS}
      ALTER TABLE holds ADD COLUMN added_elsewhere TEXT;
      CREATE INDEX holds_added_elsewhere ON holds (product_id, added_elsewhere) WHERE status = 'active';
      UPDATE holds SET added_elsewhere = 'buyer-' || id;`);
    const before = { holds: db.prepare('SELECT * FROM holds ORDER BY id').all(), indexes: schemaOf(db, 'holds') };
    expect(before.indexes.map((i) => i.name)).toContain('holds_added_elsewhere');

    migrate(db);

    expect(db.prepare('SELECT * FROM holds ORDER BY id').all()).toEqual(before.holds);
    expect(schemaOf(db, 'holds')).toEqual(before.indexes);
    db.prepare("UPDATE holds SET status = 'released' WHERE id = 3").run();
  });

  it('changes nothing when the foreign key check fails, and leaves foreign keys on', () => {
    // An order whose hold is gone, written while foreign keys were off: the rebuild must not hide it.
    const db = databaseAt(1, SOME_ROWS);
    db.pragma('foreign_keys = OFF');
    db.prepare("INSERT INTO orders (hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline) VALUES (77, 1, 1, 1, 'pending', 1, 2)").run();
    db.pragma('foreign_keys = ON');
    const definition = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'holds'").pluck().get();

    expect(() => migrate(db)).toThrow(/foreign key finds no row/);

    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'holds'").pluck().get()).toBe(definition);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('refuses a holds table whose definition it does not recognise, and changes nothing', () => {
    const db = databaseAt(1);
    db.pragma('foreign_keys = OFF');
    db.exec(`DROP TABLE orders; DROP TABLE holds;
      CREATE TABLE holds (id INTEGER PRIMARY KEY, product_id INTEGER, qty INTEGER, status TEXT CHECK (status IN ('active')), token_hash TEXT, created_at INTEGER, expires_at INTEGER);`);
    db.pragma('foreign_keys = ON');
    expect(() => migrate(db)).toThrow(/0 times, not once/);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
  });

  it('cannot run inside a transaction the caller opened, where foreign keys cannot be turned off', () => {
    const db = databaseAt(1, SOME_ROWS);
    db.exec('BEGIN');
    expect(() => migrate(db)).toThrow(/needs foreign keys off/);
    db.exec('ROLLBACK');
    expect(db.pragma('user_version', { simple: true })).toBe(1);
  });

  it('is what a fresh store gets: foreign keys on, released allowed', async () => {
    const store = openSqliteStore({ filename: ':memory:' });
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('user_version', { simple: true })).toBe(listMigrations().at(-1)!.version);
    expect(store.db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'holds'").pluck().get()).toContain("'released'");
    await store.close();
  });
});

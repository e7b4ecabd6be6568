import type { Database } from 'better-sqlite3';
import { translateSqliteError } from './sqlite-errors.js';

/** A store method: its work's arguments in, its answer as a promise. */
export type StoreMethod<A extends unknown[], R> = (...args: A) => Promise<R>;

/**
 * How the store talks to SQLite: one better-sqlite3 connection and the ways a store method runs
 * on it, each with driver errors translated into flashsale errors. Operations prepare their
 * statements and build their methods from it once, when the store opens; a call then only binds
 * values and runs.
 */
export class Connection {
  readonly db: Database;
  /** Resolves when the database answers. */
  readonly ping: StoreMethod<[], void>;

  constructor(db: Database) {
    this.db = db;
    const answer = db.prepare<[], unknown>('SELECT 1');
    this.ping = this.#method(() => void answer.get());
  }

  /**
   * `work` as a store method run in one `BEGIN IMMEDIATE` transaction. SQLite has one writer at a
   * time: taking the write lock up front means a transaction never starts reading and later fails
   * to upgrade (SQLITE_BUSY mid-way), and nothing else writes between its reads and its writes.
   * Other processes wait up to the busy timeout. A throw rolls the whole unit back.
   */
  writeTransaction<A extends unknown[], R>(work: (...args: A) => R): StoreMethod<A, R> {
    const unit = this.db.transaction(work);
    return this.#method((...args: A) => unit.immediate(...args));
  }

  /** `work` in a deferred transaction: it reads one consistent snapshot (WAL) while writers go on. */
  readTransaction<A extends unknown[], R>(work: (...args: A) => R): StoreMethod<A, R> {
    const unit = this.db.transaction(work);
    return this.#method((...args: A) => unit.deferred(...args));
  }

  /** `work` on its own, for a single statement, which SQLite runs atomically by itself. */
  statement<A extends unknown[], R>(work: (...args: A) => R): StoreMethod<A, R> {
    return this.#method(work);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  #method<A extends unknown[], R>(run: (...args: A) => R): StoreMethod<A, R> {
    return async (...args) => {
      try {
        return run(...args);
      } catch (err) {
        throw translateSqliteError(err, this.db.open);
      }
    };
  }
}

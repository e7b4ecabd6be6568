import { CommitGroup, type UnitSettlement } from '@flashsale/core';
import type { Database } from 'better-sqlite3';
import { EventClock, unitEventTime } from './event-clock.js';
import { translateSqliteError } from './sqlite-errors.js';

/** A store method: its work's arguments in, its answer as a promise. */
export type StoreMethod<A extends unknown[], R> = (...args: A) => Promise<R>;

/** One write use case's work, bound to its arguments, waiting for its group's transaction. */
type GroupedUnit = () => unknown;

/**
 * The most units in one grouped transaction. A batch holds the write lock for its whole length,
 * so other processes on the file wait for all of it; 128 short units stay within a few ms.
 */
const MAX_GROUP = 128;

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

  /** Absent when group commit is off: each grouped method is then a plain `writeTransaction`. */
  readonly #group: CommitGroup<GroupedUnit, unknown> | undefined;
  /** Events for the merchant: each unit's `now`, told to the event triggers while it runs. */
  readonly #clock: EventClock;

  constructor(db: Database, options: { groupCommit: boolean }) {
    this.db = db;
    this.#clock = new EventClock(db);
    const answer = db.prepare<[], unknown>('SELECT 1');
    this.ping = this.#method(() => void answer.get());
    this.#group = options.groupCommit ? this.#commitGroup() : undefined;
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

  /**
   * `work` as a store method that joins the connection's group commit: the calls of every grouped
   * method made in one turn of the event loop share ONE `BEGIN IMMEDIATE` transaction (one commit,
   * one fsync), each in arrival order inside its own savepoint, so a unit that throws is undone
   * alone and the others commit. The answers equal running the calls one at a time in that order,
   * because each unit reads what the units before it wrote. A lone call runs as `writeTransaction`.
   */
  groupedWriteTransaction<A extends unknown[], R>(work: (...args: A) => R): StoreMethod<A, R> {
    const group = this.#group;
    if (!group) return this.writeTransaction(work);
    return (...args: A) => group.run(() => this.#clock.at(unitEventTime(args), () => work(...args))) as Promise<R>;
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

  #commitGroup(): CommitGroup<GroupedUnit, unknown> {
    // One transaction function serves both: `.immediate` on its own, and called inside `together`
    // it is a savepoint (better-sqlite3 nests that way), so a throw rolls back that unit only.
    const unitTransaction = this.db.transaction((unit: GroupedUnit) => unit());
    const together = this.db.transaction((units: readonly GroupedUnit[]) =>
      units.map((unit): UnitSettlement<unknown> => {
        try {
          return { ok: true, value: unitTransaction(unit) };
        } catch (error) {
          return { ok: false, error: translateSqliteError(error, this.db.open) };
        }
      }),
    );
    return new CommitGroup<GroupedUnit, unknown>(
      async (units) => {
        try {
          if (units.length === 1) return [{ ok: true, value: unitTransaction.immediate(units[0]!) }];
          return together.immediate(units);
        } catch (error) {
          // A lone unit's own error, or the batch's (the lock, the commit): every unit in it fails.
          throw translateSqliteError(error, this.db.open);
        }
      },
      // better-sqlite3 runs a transaction synchronously, so one batch at a time is all there can be.
      { maxBatch: MAX_GROUP, maxInFlight: 1 },
    );
  }

  #method<A extends unknown[], R>(run: (...args: A) => R): StoreMethod<A, R> {
    return async (...args) => {
      try {
        return this.#clock.at(unitEventTime(args), () => run(...args));
      } catch (err) {
        throw translateSqliteError(err, this.db.open);
      }
    };
  }
}

import { CommitGroup, commitInArrivalOrder, FlashSaleError, type GroupProgress, type UnitSettlement } from '@flashsale/core';
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { assertSpeaksUtf8mb4 } from './connection-config.js';
import { isConnectionError, isDeadlock, isLockWaitTimeout, translateMysqlError } from './mysql-errors.js';
import type { ResolvedOptions } from './options.js';

/** What an operation runs its statements on: one connection, inside the current unit. */
export interface Session {
  /** A statement that returns rows. */
  rows<R>(sql: string, values?: readonly unknown[]): Promise<R[]>;
  /** A statement that changes rows: affected rows and the first auto-increment id it drew. */
  run(sql: string, values?: readonly unknown[]): Promise<ResultSetHeader>;
  /**
   * This session's `auto_increment_increment`: a multi-row INSERT's ids are the first one and then
   * every `idStep` after it (1 unless the server spreads ids over a cluster, as Galera does).
   */
  readonly idStep: number;
}

/**
 * Thrown inside a unit when it met a state that a fresh attempt will not meet (an idempotency
 * record that vanished between two statements). The unit is rolled back and run again.
 */
export class RetryUnit extends Error {}

/** Deadlocks are retried this many times in all, then reported. */
const MAX_ATTEMPTS = 4;

/** A write use case's transaction body, waiting for its group. */
/** A unit of a group: its body, and (events for the merchant) the time its events are stamped with. */
interface GroupedBody {
  run: (session: Session) => Promise<unknown>;
  eventTime: number | null;
}

/** Transactions that join a group commit: same contract as `Executor.transaction`. */
export interface GroupedTransactions {
  transaction<T>(body: (session: Session) => Promise<T>): Promise<T>;
}

/** What an executor shares with the views `at()` makes of it. */
interface SharedState {
  /** The auto-increment step of each connection the store has prepared, by mysql2's core connection. */
  prepared: WeakMap<object, number>;
  /** The @flashsale_event_time each connection's session holds, by mysql2's core connection. */
  eventTimes: WeakMap<object, number | null>;
  closed: boolean;
}

/** The most units in one grouped transaction (one savepoint each). */
const MAX_GROUP = 48;

/**
 * How long a unit inside a group waits for a row lock, in seconds (InnoDB's smallest wait). A
 * unit that waits holds up every unit behind it; past this wait it leaves the group: it is undone
 * to its savepoint, the units before it commit, and it runs again on its own with the store's
 * full lock wait, so it gets the answer it would have got alone.
 */
const GROUP_LOCK_WAIT_S = 1;

/** A unit that met a lock wait or a vanished record: run it alone rather than fail it. */
function mustRunAlone(err: unknown): boolean {
  const cause = FlashSaleError.is(err) ? err.cause : undefined;
  return isLockWaitTimeout(err) || isLockWaitTimeout(cause) || err instanceof RetryUnit;
}

/** The isolation level of every unit; see the README for why READ COMMITTED. */
const ISOLATION = 'READ COMMITTED';

/**
 * How the store talks to MySQL: every store method is one call of `autocommit` (statements that
 * are atomic on their own), `transaction` or `snapshot`, each retried on deadlock (1213, which
 * rolls the whole transaction back) and with driver errors translated into flashsale errors.
 *
 * With its own pool the session settings (isolation level, lock wait timeout, strict SQL mode,
 * idle timeout) are set once per connection, when the store first uses it. A borrowed pool's
 * sessions are left alone: each transaction sets its isolation level for itself only.
 *
 * A connection that failed (lost, killed, timed out, refused) is destroyed, never returned to the
 * pool, so no later unit inherits a half-open transaction or a stream in an unknown state.
 */
export class Executor {
  readonly #pool: Pool;
  readonly #owned: boolean;
  readonly #options: ResolvedOptions;
  readonly #shared: SharedState;
  /**
   * Events for the merchant: the time this view's transactions stamp their events with, or null
   * for none. Passed by value rather than in an AsyncLocalStorage, whose promise hooks Node 20
   * would run for every promise of the process.
   */
  readonly #eventTime: number | null;

  constructor(pool: Pool, owned: boolean, options: ResolvedOptions, shared?: SharedState, eventTime: number | null = null) {
    this.#pool = pool;
    this.#owned = owned;
    this.#options = options;
    this.#shared = shared ?? { prepared: new WeakMap(), eventTimes: new WeakMap(), closed: false };
    this.#eventTime = eventTime;
  }

  /** The same executor, its transactions stamping their events with `now` (a unit's engine time), or with none. */
  at(now: number | null): Executor {
    return new Executor(this.#pool, this.#owned, this.#options, this.#shared, now);
  }

  /** Statements that are each atomic on their own, in autocommit. */
  autocommit<T>(body: (session: Session) => Promise<T>): Promise<T> {
    return this.#withRetry(() => this.#withConnection((conn, step) => body(this.#session(conn, step))));
  }

  /** A transaction: `body` runs between START TRANSACTION and COMMIT, and again after a deadlock. */
  transaction<T>(body: (session: Session) => Promise<T>): Promise<T> {
    return this.#withRetry(() =>
      this.#withConnection(async (conn, step, discard) => {
        if (!this.#owned) await this.#control(conn, `SET TRANSACTION ISOLATION LEVEL ${ISOLATION}`);
        await this.#stampEventTime(conn);
        return this.#inTransaction(conn, discard, 'START TRANSACTION', () => body(this.#session(conn, step)));
      }),
    );
  }

  /**
   * Events for the merchant: the session variable the event triggers read is set to this unit's
   * time, or cleared outside a stamped unit, so no unit stamps its events with another's time. A
   * user variable outlives transactions, so it is only sent when it would change.
   */
  async #stampEventTime(conn: PoolConnection): Promise<void> {
    const now = this.#eventTime;
    const core = conn.connection as object;
    if ((this.#shared.eventTimes.get(core) ?? null) === now) return;
    await this.#query(conn, 'SET @flashsale_event_time = ?', [now]);
    this.#shared.eventTimes.set(core, now);
  }

  /**
   * A read-only transaction on one consistent snapshot: REPEATABLE READ for this transaction only
   * (under READ COMMITTED every statement would see a newer moment).
   */
  snapshot<T>(body: (session: Session) => Promise<T>): Promise<T> {
    return this.#withRetry(() =>
      this.#withConnection(async (conn, step, discard) => {
        await this.#control(conn, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
        return this.#inTransaction(conn, discard, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY', () => body(this.#session(conn, step)));
      }),
    );
  }

  /**
   * Group commit for the write use cases (the checkout wave): `transaction` calls made while
   * `maxInFlight` groups are committing, or in one turn of the event loop, share ONE transaction
   * (one commit, one redo-log flush, one connection), in arrival order, each in its own savepoint,
   * so a unit that throws is undone alone and the others commit; each unit reads what the units
   * before it wrote, so the answers equal running them one at a time in that order. A deadlock
   * rolls InnoDB's whole transaction back; its units then run again one by one, each as a lone
   * transaction would. A lone call is a plain `transaction`.
   */
  groupCommit(maxInFlight: number): (eventTime: number | null) => GroupedTransactions {
    const group = new CommitGroup<GroupedBody, unknown>((bodies) => commitInArrivalOrder(bodies, (rest) => this.#together(rest), (body) => this.#alone(body)), { maxBatch: MAX_GROUP, maxInFlight, failsQueued: storageDown });
    return (eventTime) => ({ transaction: <T>(body: (session: Session) => Promise<T>) => group.run({ run: body, eventTime }) as Promise<T> });
  }

  async ping(): Promise<void> {
    await this.#withConnection((conn) => this.#control(conn, 'SELECT 1')).catch((err: unknown) => {
      throw translateMysqlError(err);
    });
  }

  async close(): Promise<void> {
    if (this.#shared.closed) return;
    this.#shared.closed = true;
    if (this.#owned) await this.#pool.end();
  }

  async #inTransaction<T>(conn: PoolConnection, discard: () => void, begin: string, body: () => Promise<T>): Promise<T> {
    await this.#control(conn, begin);
    try {
      const result = await body();
      await this.#control(conn, 'COMMIT');
      return result;
    } catch (err) {
      // A lost connection has rolled back on the server already. A live one is told to, and is
      // destroyed if even that fails, so no later unit inherits a half-open transaction.
      if (!isConnectionError(err)) await this.#control(conn, 'ROLLBACK').catch(discard);
      throw err;
    }
  }

  /** A unit on its own, as a lone request, with its own event time. */
  #alone(body: GroupedBody): Promise<unknown> {
    return this.at(body.eventTime).transaction(body.run);
  }

  /**
   * Runs `bodies` in one transaction until one must leave the group (`leftAt`): the units before
   * it commit with their answers. A lost connection or a failed commit fails it as a whole
   * (nothing committed); after a deadlock the units run again, each alone.
   */
  async #together(bodies: readonly GroupedBody[]): Promise<GroupProgress> {
    try {
      return await this.#groupOnce(bodies);
    } catch (err) {
      if (!isDeadlock(err) && !(err instanceof RetryUnit)) throw translateMysqlError(err);
      // Undone as a whole. Together again, the group can meet the same cycle: it keeps each unit's
      // locks while the next unit waits, which no lone request does (a release pass that locked
      // hold B waits for product P, held by the unit before the one that wants B). Alone, in
      // arrival order, each unit takes only its own locks, and the answers are the same.
      const done: UnitSettlement<unknown>[] = [];
      for (const body of bodies) {
        try {
          done.push({ ok: true, value: await this.#alone(body) });
        } catch (error) {
          done.push({ ok: false, error });
        }
      }
      return { done };
    }
  }

  /** One try of a group in one transaction; a deadlock or lost connection fails it as a whole. */
  #groupOnce(bodies: readonly GroupedBody[]): Promise<GroupProgress> {
    return (
      this.#withConnection(async (conn, step, discard) => {
        if (!this.#owned) await this.#control(conn, `SET TRANSACTION ISOLATION LEVEL ${ISOLATION}`);
        // The session's own wait comes back after the group, on a borrowed pool's sessions too.
        // Events for the merchant: the group's events are stamped with its units' latest time.
        const times = bodies.flatMap((body) => (body.eventTime === null ? [] : [body.eventTime]));
        const eventTime = times.length > 0 ? Math.max(...times) : null;
        await this.#control(
          conn,
          `SET @flashsale_lock_wait = @@SESSION.innodb_lock_wait_timeout, SESSION innodb_lock_wait_timeout = ${GROUP_LOCK_WAIT_S}, @flashsale_event_time = ${eventTimeLiteral(eventTime)}`,
        );
        this.#shared.eventTimes.set(conn.connection as object, eventTime);
        const session = this.#session(conn, step);
        try {
          return await this.#inTransaction(conn, discard, 'START TRANSACTION', async () => {
            await this.#control(conn, 'SAVEPOINT grouped');
            const done: UnitSettlement<unknown>[] = [];
            for (const [i, body] of bodies.entries()) {
              let value: unknown;
              try {
                value = await body.run(session);
              } catch (err) {
                if (isConnectionError(err) || isDeadlock(err)) throw err;
                await this.#control(conn, 'ROLLBACK TO SAVEPOINT grouped');
                if (mustRunAlone(err)) return { done, leftAt: i };
                done.push({ ok: false, error: translateMysqlError(err) });
                continue;
              }
              done.push({ ok: true, value });
              // A savepoint of the same name replaces the old one: one round trip per unit.
              if (i < bodies.length - 1) await this.#control(conn, 'SAVEPOINT grouped');
            }
            return { done };
          });
        } finally {
          // A session that keeps the short wait must not go back to the pool.
          await this.#control(conn, 'SET SESSION innodb_lock_wait_timeout = @flashsale_lock_wait').catch(discard);
        }
      })
    );
  }

  #session(conn: PoolConnection, idStep: number): Session {
    return {
      idStep,
      rows: async <R>(sql: string, values: readonly unknown[] = []) => (await this.#query(conn, sql, values)) as R[],
      run: async (sql: string, values: readonly unknown[] = []) => (await this.#query(conn, sql, values)) as ResultSetHeader,
    };
  }

  /**
   * Every statement carries mysql2's client-side `timeout`: the server may never answer (a silent
   * network), and only a timer here ends that wait. Text protocol with client-side escaping: no
   * server-side prepared statement per distinct batch size.
   */
  async #query(conn: PoolConnection, sql: string, values: readonly unknown[]): Promise<unknown> {
    const [result] = await conn.query({ sql, values: [...values], timeout: this.#options.queryTimeoutMs });
    return result;
  }

  /** A statement without parameters (START TRANSACTION, COMMIT, a ping), under the same timeout. */
  #control(conn: PoolConnection, sql: string): Promise<unknown> {
    return this.#query(conn, sql, []);
  }

  async #withRetry<T>(once: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once();
      } catch (err) {
        if ((isDeadlock(err) || err instanceof RetryUnit) && attempt < MAX_ATTEMPTS) {
          await sleep(Math.random() * 10 * attempt);
          continue;
        }
        throw translateMysqlError(err);
      }
    }
  }

  /** Borrows a connection for `use`; a connection that failed is destroyed rather than returned. */
  async #withConnection<T>(use: (conn: PoolConnection, idStep: number, discard: () => void) => Promise<T>): Promise<T> {
    if (this.#shared.closed) throw new Error('The MySQL store is closed.');
    const conn = await this.#acquire();
    let broken = false;
    const discard = () => {
      broken = true;
    };
    try {
      return await use(conn, await this.#prepare(conn), discard);
    } catch (err) {
      if (isConnectionError(err)) broken = true;
      throw err;
    } finally {
      if (broken) conn.destroy();
      else conn.release();
    }
  }

  /**
   * A connection from the pool, or an error after `connectTimeoutMs`. mysql2's pool has no limit
   * of its own on the wait for a free connection: without one, requests would queue forever
   * behind connections stuck on a silent network.
   */
  #acquire(): Promise<PoolConnection> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(Object.assign(new Error(`no MySQL connection within ${this.#options.connectTimeoutMs} ms`), { code: 'FLASHSALE_POOL_TIMEOUT' }));
      }, this.#options.connectTimeoutMs);
      this.#pool.getConnection().then(
        (conn) => {
          if (settled) return conn.release(); // came too late: back to the pool for the next unit
          settled = true;
          clearTimeout(timer);
          resolve(conn);
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /**
   * The first time the store uses a connection: its own pool's sessions get the store's settings,
   * and every session's auto-increment step is read. Two statements, once per connection.
   */
  async #prepare(conn: PoolConnection): Promise<number> {
    const core = conn.connection as object;
    const known = this.#shared.prepared.get(core);
    if (known !== undefined) return known;
    if (this.#owned) {
      const o = this.#options;
      // Every piece is a validated positive integer or a constant: nothing here comes from a request.
      await this.#control(conn, `SET SESSION TRANSACTION ISOLATION LEVEL ${ISOLATION}`);
      await this.#control(
        conn,
        `SET SESSION innodb_lock_wait_timeout = ${o.lockWaitTimeoutS}, SESSION wait_timeout = ${o.idleSessionTimeoutS}, ` +
          `SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'`,
      );
    }
    if (!this.#owned) assertSpeaksUtf8mb4(conn);
    const [row] = (await this.#query(conn, 'SELECT @@SESSION.auto_increment_increment AS step', [])) as RowDataPacket[];
    const step = Number(row?.step ?? 1);
    this.#shared.prepared.set(core, step);
    return step;
  }
}

/** An event time as SQL: a safe integer prints as digits only, so nothing can break out of it. */
function eventTimeLiteral(now: number | null): string {
  return now !== null && Number.isSafeInteger(now) ? String(now) : 'NULL';
}

/** Storage down: the connection was lost or could not be had, not a refusal or a lock wait. */
function storageDown(err: unknown): boolean {
  return FlashSaleError.is(err, 'storage_unavailable') && isConnectionError(err.cause);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

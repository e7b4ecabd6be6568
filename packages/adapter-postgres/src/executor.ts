import { CommitGroup, commitInArrivalOrder, FlashSaleError, type GroupProgress, type UnitSettlement } from '@flashsale/core';
import type { Pool, PoolClient, QueryConfig, QueryResult, QueryResultRow } from 'pg';
import { eventTimeSql } from './event-time.js';
import { isConnectionError, isLockTimeout, isRetryable, translatePgError } from './pg-errors.js';
import type { ResolvedOptions } from './options.js';
import type { Statement } from './statement.js';

/** pg reads `query_timeout` from a query's config; its types only know it on the client config. */
type TimedQuery = QueryConfig & { query_timeout: number };

/** Runs a statement inside the current unit. */
export type Query = <R extends QueryResultRow = QueryResultRow>(statement: Statement, values: readonly unknown[]) => Promise<QueryResult<R>>;

/**
 * Thrown inside a unit when it met a state that a fresh attempt will not meet (an idempotency
 * record that vanished between two statements). The unit is rolled back and run again.
 */
export class RetryUnit extends Error {}

/** Deadlocks and serialization failures are retried this many times in all, then reported. */
const MAX_ATTEMPTS = 4;

/** Transactions that join a group commit: same contract as `Executor.transaction`. */
export interface GroupedTransactions {
  transaction<T>(body: (query: Query) => Promise<T>): Promise<T>;
}

/** A group's transaction, as the units of a group see it. */
export interface GroupTransaction {
  query: Query;
  /** A statement without parameters (a savepoint) in the group's transaction. */
  control(text: string): Promise<void>;
}

/** How a kind of unit runs: together in a group's transaction, or alone. */
export interface GroupPlan<U> {
  /** Runs `units` in order in the group's transaction until one must leave the group (`leftAt`). */
  together(tx: GroupTransaction, units: readonly U[]): Promise<GroupProgress>;
  /** Runs one unit as a lone request would, in its own transaction. */
  alone(unit: U): Promise<unknown>;
  /**
   * Events for the merchant: the time the group's events are stamped with (its units' latest
   * `now`), sent with the group's BEGIN; none when its units carry no time.
   */
  eventTime?(units: readonly U[]): number | undefined;
}

/**
 * The most units in one grouped transaction. Each unit is a subtransaction (a savepoint); a
 * backend caches 64 of them per transaction, and past that every row check gets slower.
 */
export const MAX_GROUP = 48;

/**
 * How long a unit inside a group waits for a row lock before it leaves the group. A unit that
 * waits holds up every unit behind it, and two groups of this process committing at once could
 * each wait for a row the other locked (a deadlock PostgreSQL finds only after a second). A unit
 * that waits longer is undone to its savepoint; the units before it commit, it runs again on its
 * own with the store's full lock timeout, and the units after it form the next group, so it gets
 * the answer it would have got alone.
 */
const GROUP_LOCK_WAIT_MS = 25;

/** A unit that met a lock, a deadlock or a vanished record: run it alone rather than fail it. */
export function mustRunAlone(err: unknown): boolean {
  const cause = FlashSaleError.is(err) ? err.cause : undefined;
  return isLockTimeout(err) || isLockTimeout(cause) || isRetryable(err) || err instanceof RetryUnit;
}

/**
 * Opaque transaction bodies in a group, one savepoint each: a body that throws is undone alone.
 * One round trip between two bodies ends one savepoint and starts the next.
 */
export async function inSavepoints(tx: GroupTransaction, bodies: readonly ((query: Query) => Promise<unknown>)[]): Promise<GroupProgress> {
  const done: UnitSettlement<unknown>[] = [];
  await tx.control('SAVEPOINT grouped');
  for (const [i, body] of bodies.entries()) {
    let value: unknown;
    try {
      value = await body(tx.query);
    } catch (err) {
      if (isConnectionError(err)) throw err;
      await tx.control('ROLLBACK TO SAVEPOINT grouped; RELEASE SAVEPOINT grouped');
      if (mustRunAlone(err)) return { done, leftAt: i };
      done.push({ ok: false, error: translatePgError(err) });
      if (i < bodies.length - 1) await tx.control('SAVEPOINT grouped');
      continue;
    }
    done.push({ ok: true, value });
    await tx.control(i < bodies.length - 1 ? 'RELEASE SAVEPOINT grouped; SAVEPOINT grouped' : 'RELEASE SAVEPOINT grouped');
  }
  return { done };
}

/**
 * How the store talks to PostgreSQL: every store method is one call of `statement` (a single
 * self-contained statement) or `transaction`, both retried on deadlock and serialization failure
 * and with driver errors translated into flashsale errors.
 *
 * With its own pool, the search path and timeouts are connection settings (sent at connect time),
 * so a single statement runs on its own in autocommit: the hot row is locked only while that one
 * statement commits. With a borrowed pool, each unit is a transaction that sets them with
 * `SET LOCAL`, leaving the app's connections untouched.
 */
export class Executor {
  readonly #pool: Pool;
  readonly #owned: boolean;
  readonly #options: ResolvedOptions;
  readonly #setLocal: string;
  /**
   * statement_timeout is enforced by the server, so a client whose network went silent would
   * never hear it; pg's client-side read timeout ends the wait a little after the server would
   * have, and the connection is thrown away (`Query read timeout` counts as a connection error).
   * Runtime queries only: migrations run without a timeout.
   */
  readonly #readTimeoutMs: number;
  /** Shared with the views `at()` makes, so closing the store closes them too. */
  readonly #state: { closed: boolean };
  /**
   * Events for the merchant: the time this view's transactions stamp their events with (sent
   * with the BEGIN, for the event triggers). Passed by value rather than in an AsyncLocalStorage,
   * whose promise hooks Node 20 would run for every promise of the process.
   */
  readonly #eventTime: number | undefined;

  constructor(pool: Pool, owned: boolean, options: ResolvedOptions, from?: { setLocal: string; state: { closed: boolean }; eventTime: number | undefined }) {
    this.#pool = pool;
    this.#owned = owned;
    this.#options = options;
    // Every piece is validated (a plain identifier, positive integers): nothing here comes from a request.
    this.#setLocal =
      from?.setLocal ??
      [
        `SET LOCAL search_path TO ${options.schema}`,
        `SET LOCAL lock_timeout = ${options.lockTimeoutMs}`,
        `SET LOCAL statement_timeout = ${options.statementTimeoutMs}`,
        `SET LOCAL idle_in_transaction_session_timeout = ${options.idleInTransactionTimeoutMs}`,
      ].join('; ');
    this.#readTimeoutMs = options.statementTimeoutMs + 5_000;
    this.#state = from?.state ?? { closed: false };
    this.#eventTime = from?.eventTime;
  }

  /** The same executor, its transactions stamping their events with `now` (a unit's engine time). */
  at(now: number | undefined): Executor {
    return new Executor(this.#pool, this.#owned, this.#options, { setLocal: this.#setLocal, state: this.#state, eventTime: now });
  }

  get pool(): Pool {
    return this.#pool;
  }

  /** One statement that is atomic on its own. */
  statement<R extends QueryResultRow = QueryResultRow>(statement: Statement, values: readonly unknown[]): Promise<QueryResult<R>> {
    if (!this.#owned) return this.transaction((query) => query<R>(statement, values));
    return this.#withRetry(() => this.#withClient((client) => this.#run<R>(client, statement, values)));
  }

  /** A transaction: `body` runs between BEGIN and COMMIT, and is run again after a deadlock. */
  transaction<T>(body: (query: Query) => Promise<T>, options: { snapshot?: boolean } = {}): Promise<T> {
    // Events for the merchant: the unit's time rides with its BEGIN, for the event triggers.
    const begin = options.snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : `BEGIN${eventTimeSql(this.#eventTime)}`;
    return this.#withRetry(() =>
      this.#withClient(async (client, discard) => {
        await this.#control(client, this.#owned ? begin : `${begin}; ${this.#setLocal}`);
        try {
          const result = await body((statement, values) => this.#run(client, statement, values));
          await this.#control(client, 'COMMIT');
          return result;
        } catch (err) {
          // A broken connection has already rolled back on the server; a live one is told to, and
          // is thrown away if even that fails, so no later unit inherits a half-open transaction.
          if (!isConnectionError(err)) await this.#control(client, 'ROLLBACK').catch(discard);
          throw err;
        }
      }),
    );
  }

  /**
   * Group commit for the write use cases (the checkout wave): units submitted while `maxInFlight`
   * groups are committing, or in one turn of the event loop, share ONE transaction (one commit,
   * one WAL flush, one connection), run in arrival order by `plan.together`, each undone alone
   * when it fails, so the answers equal running them one at a time in that order. A unit that
   * must leave the group runs alone after the units before it have committed; the units after it
   * form the next group. A lone unit runs alone.
   */
  groupCommit<U>(maxInFlight: number, plan: GroupPlan<U>): (unit: U) => Promise<unknown> {
    const group = new CommitGroup<U, unknown>((units) => commitInArrivalOrder(units, (rest) => this.#together(plan, rest), plan.alone), { maxBatch: MAX_GROUP, maxInFlight, failsQueued: storageDown });
    return (unit) => group.run(unit);
  }

  async ping(): Promise<void> {
    await this.#withClient((client) => this.#control(client, 'SELECT 1')).catch((err: unknown) => {
      throw translatePgError(err);
    });
  }

  async close(): Promise<void> {
    if (this.#state.closed) return;
    this.#state.closed = true;
    if (this.#owned) await this.#pool.end();
  }

  /**
   * One transaction for `units`, until one must leave the group: the units before it commit with
   * their answers. A connection or commit failure fails them all (nothing committed); the whole
   * group is retried after a deadlock at commit, as a lone transaction would be.
   */
  #together<U>(plan: GroupPlan<U>, units: readonly U[]): Promise<GroupProgress> {
    const begin = this.#owned ? 'BEGIN' : `BEGIN; ${this.#setLocal}`;
    return this.#withRetry(() =>
      this.#withClient(async (client, discard) => {
        await this.#control(client, `${begin}; SET LOCAL lock_timeout = ${GROUP_LOCK_WAIT_MS}${eventTimeSql(plan.eventTime?.(units))}`);
        const tx: GroupTransaction = {
          query: (statement, values) => this.#run(client, statement, values),
          control: async (text) => void (await this.#control(client, text)),
        };
        try {
          const progress = await plan.together(tx, units);
          await this.#control(client, 'COMMIT');
          return progress;
        } catch (err) {
          if (!isConnectionError(err)) await this.#control(client, 'ROLLBACK').catch(discard);
          throw err;
        }
      }),
    );
  }

  #run<R extends QueryResultRow>(client: PoolClient, statement: Statement, values: readonly unknown[]): Promise<QueryResult<R>> {
    // Prepared-statement names are per connection; a borrowed pool may serve several schemas.
    const query: TimedQuery = {
      name: `${this.#options.schema}:${statement.name}`,
      text: statement.text,
      values: [...values],
      query_timeout: this.#readTimeoutMs,
    };
    return client.query<R>(query);
  }

  /** A statement without parameters (BEGIN, COMMIT, ROLLBACK, a ping), under the read timeout. */
  #control(client: PoolClient, text: string): Promise<QueryResult> {
    const query: TimedQuery = { text, query_timeout: this.#readTimeoutMs };
    return client.query(query);
  }

  async #withRetry<T>(once: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once();
      } catch (err) {
        if ((isRetryable(err) || err instanceof RetryUnit) && attempt < MAX_ATTEMPTS) {
          await sleep(Math.random() * 10 * attempt);
          continue;
        }
        throw translatePgError(err);
      }
    }
  }

  /**
   * Borrows a client for `use`. A client whose connection failed is destroyed rather than returned
   * to the pool; an 'error' event while it is checked out (the server ended the connection between
   * two statements) is caught here instead of crashing the process.
   */
  async #withClient<T>(use: (client: PoolClient, discard: (err: unknown) => void) => Promise<T>): Promise<T> {
    if (this.#state.closed) throw new Error('The PostgreSQL store is closed.');
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    const discard = (err: unknown) => {
      broken ??= err instanceof Error ? err : new Error(String(err));
    };
    client.on('error', discard);
    try {
      return await use(client, discard);
    } catch (err) {
      if (isConnectionError(err)) discard(err);
      throw err;
    } finally {
      client.off('error', discard);
      client.release(broken);
    }
  }
}

/** Storage down: the connection was lost or could not be had, not a refusal or a lock wait. */
function storageDown(err: unknown): boolean {
  return FlashSaleError.is(err, 'storage_unavailable') && isConnectionError(err.cause);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

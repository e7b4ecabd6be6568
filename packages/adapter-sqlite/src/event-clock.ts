import type { Database } from 'better-sqlite3';

/** The SQL function the event triggers (migrations/0005) stamp an event's created_at with. */
const EVENT_TIME = 'flashsale_event_time';

/**
 * The engine's `now` for the unit running on this connection, as the event triggers read it.
 * better-sqlite3 runs a unit synchronously inside the store method's call, so the time set just
 * before the call is the one every trigger of that unit sees, and no other unit runs meanwhile.
 * Outside a stamped unit (raw SQL from a tool) the wall clock answers.
 */
export class EventClock {
  #now: number | undefined;

  constructor(db: Database) {
    db.function(EVENT_TIME, { deterministic: false }, () => this.#now ?? Date.now());
  }

  /** `method` with every call stamped by `nowOf` of its arguments. */
  stamp<A extends unknown[], R>(method: (...args: A) => Promise<R>, nowOf: (...args: A) => number): (...args: A) => Promise<R> {
    return (...args) => {
      this.#now = nowOf(...args);
      try {
        return method(...args);
      } finally {
        this.#now = undefined;
      }
    };
  }
}

/** Lets a connection without a store (a migration, a tool) write to tables with event triggers. */
export function registerWallClockEventTime(db: Database): void {
  db.function(EVENT_TIME, { deterministic: false }, () => Date.now());
}

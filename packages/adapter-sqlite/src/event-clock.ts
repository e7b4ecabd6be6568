import type { Database } from 'better-sqlite3';

/** The SQL function the event triggers (migrations/0005) stamp an event's created_at with. */
const EVENT_TIME = 'flashsale_event_time';

/**
 * The engine's `now` for the unit running on this connection, as the event triggers read it.
 * better-sqlite3 runs a unit synchronously, so the time set around the unit's own work (alone or
 * in its group's transaction) is the one every trigger of that unit sees, and no other unit runs
 * meanwhile. Outside a stamped unit (raw SQL from a tool) the wall clock answers.
 */
export class EventClock {
  #now: number | undefined;

  constructor(db: Database) {
    db.function(EVENT_TIME, { deterministic: false }, () => this.#now ?? Date.now());
  }

  /** Runs `work` with `now` as the time of the events it appends. */
  at<R>(now: number | undefined, work: () => R): R {
    const outer = this.#now;
    this.#now = now;
    try {
      return work();
    } finally {
      this.#now = outer;
    }
  }
}

/**
 * The event time of a store method's call, from its arguments: the request's `now` (orders,
 * payments, releases, restocks, an expiry pass), or a hold batch's latest `createdAt` (its stock
 * is written once, after every request was decided). Undefined for calls that append no event.
 */
export function unitEventTime(args: readonly unknown[]): number | undefined {
  const [first] = args;
  if (Array.isArray(first)) {
    const times = first.flatMap((request: { createdAt?: unknown }) => (typeof request?.createdAt === 'number' ? [request.createdAt] : []));
    return times.length > 0 ? Math.max(...times) : undefined;
  }
  const now = (first as { now?: unknown } | undefined)?.now;
  return typeof now === 'number' ? now : undefined;
}

/** Lets a connection without a store (a migration, a tool) write to tables with event triggers. */
export function registerWallClockEventTime(db: Database): void {
  db.function(EVENT_TIME, { deterministic: false }, () => Date.now());
}

import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The engine's `now` of the store unit running in this async context, for the event triggers
 * (sql/000004.sql): the executor sets the session variable @flashsale_event_time to it when the
 * unit starts. Carried in the async context rather than through every operation, so an operation
 * needs no change to stamp the events its statements append.
 */
const unitTime = new AsyncLocalStorage<number | null>();

/** Runs `unit` with `now` as the time its events are stamped with. */
export function withEventTime<T>(now: number, unit: () => Promise<T>): Promise<T> {
  return unitTime.run(now, unit);
}

/** Runs `unit` with `now` as its event time, or with none (null): never the surrounding context's. */
export function runWithEventTime<T>(now: number | null, unit: () => Promise<T>): Promise<T> {
  return unitTime.run(now, unit);
}

/** The event time of the unit running here; null outside a stamped unit. */
export function currentEventTime(): number | null {
  return unitTime.getStore() ?? null;
}

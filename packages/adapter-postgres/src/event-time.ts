import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The engine's `now` of the store unit running in this async context, for the event triggers
 * (sql/000007.sql): the executor sends it with the unit's BEGIN, in the same round trip. Carried
 * in the async context rather than through every operation, so an operation needs no change to
 * stamp the events its statements append.
 */
const unitTime = new AsyncLocalStorage<number>();

/** Runs `unit` with `now` as the time its events are stamped with. */
export function withEventTime<T>(now: number, unit: () => Promise<T>): Promise<T> {
  return unitTime.run(now, unit);
}

/** The event time of the unit running here; undefined outside a stamped unit. */
export function currentEventTime(): number | undefined {
  return unitTime.getStore();
}

/** The statement that sets the unit's event time inside its transaction, or '' outside a stamped unit. */
export function eventTimeSetting(): string {
  return eventTimeSql(unitTime.getStore());
}

/** `; SELECT set_config(…)` for `now`, to follow a BEGIN; '' when there is no time to set. */
export function eventTimeSql(now: number | undefined): string {
  // A safe integer prints as digits only: nothing here can break out of the literal.
  return now !== undefined && Number.isSafeInteger(now) ? `; SELECT set_config('flashsale.event_time', '${now}', true)` : '';
}

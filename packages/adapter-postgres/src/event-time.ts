/**
 * Events for the merchant: the engine's `now` of a store unit, for the event triggers
 * (sql/000007.sql). The executor sends it with the unit's BEGIN, in the same round trip
 * (`Executor.at(now)`), so an operation needs no change to stamp the events its statements append.
 */

/** `; SELECT set_config(…)` for `now`, to follow a BEGIN; '' when there is no time to set. */
export function eventTimeSql(now: number | undefined): string {
  // A safe integer prints as digits only: nothing here can break out of the literal.
  return now !== undefined && Number.isSafeInteger(now) ? `; SELECT set_config('flashsale.event_time', '${now}', true)` : '';
}

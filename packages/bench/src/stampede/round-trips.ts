import type { RoundTrips } from '../report/types.js';

/** The /metrics counters the bench reads to count database round trips of holds. */
const ROUND_TRIP_METRICS = {
  calls: 'flashsale_reserve_batches_total',
  requests: 'flashsale_reserve_batch_requests_total',
} as const;

/** Sums every sample of a counter in a Prometheus text exposition; undefined when absent. */
export function readCounter(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line);
    if (match && match[1] === name) total = (total ?? 0) + Number(match[3]);
  }
  return total;
}

/**
 * Round trips of the hold phase, from two /metrics readings taken before and after it; null when
 * the server does not export the counters.
 */
export function roundTrips(before: string | undefined, after: string | undefined, holdRequests: number): RoundTrips | null {
  if (before === undefined || after === undefined) return null;
  const calls = [readCounter(before, ROUND_TRIP_METRICS.calls), readCounter(after, ROUND_TRIP_METRICS.calls)];
  const carried = [readCounter(before, ROUND_TRIP_METRICS.requests), readCounter(after, ROUND_TRIP_METRICS.requests)];
  if (calls[0] === undefined || calls[1] === undefined) return null;
  const storeCalls = calls[1] - calls[0];
  return {
    hold_requests: holdRequests,
    store_calls: storeCalls,
    requests_reaching_store: carried[0] !== undefined && carried[1] !== undefined ? carried[1] - carried[0] : Number.NaN,
    calls_per_request: holdRequests > 0 ? storeCalls / holdRequests : 0,
    source: `/metrics ${ROUND_TRIP_METRICS.calls}`,
  };
}

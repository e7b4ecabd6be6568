/** Latency percentiles in ms, as the report shows them. */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Nearest-rank percentiles of a list of latencies in ms, rounded to 0.01 ms.
 *
 * @example summarize([1, 2, 3, 4]).p50 // 2
 */
export function summarize(latenciesMs: readonly number[]): LatencySummary {
  if (latenciesMs.length === 0) return { count: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(latenciesMs).sort();
  const rank = (p: number) => round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
  return { count: sorted.length, p50: rank(50), p90: rank(90), p95: rank(95), p99: rank(99), max: round(sorted[sorted.length - 1]!) };
}

/** A histogram of latencies on log-spaced buckets (upper bounds in ms), for the HTML chart. */
export interface Histogram {
  bounds: number[];
  counts: number[];
}

const BOUNDS = [0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 250, 500, 1000, 2500, 5000, Infinity];

/** Counts latencies into {@link BOUNDS}. */
export function histogram(latenciesMs: readonly number[]): Histogram {
  const counts = BOUNDS.map(() => 0);
  for (const value of latenciesMs) {
    let i = 0;
    while (value > BOUNDS[i]!) i += 1;
    counts[i]! += 1;
  }
  // Empty buckets at either end say nothing: cut them (the open-ended one stays only when used).
  let first = 0;
  while (first < counts.length - 1 && counts[first] === 0) first += 1;
  let last = counts.length - 1;
  while (last > first && counts[last] === 0) last -= 1;
  return { bounds: BOUNDS.slice(first, last + 1), counts: counts.slice(first, last + 1) };
}

export function round(value: number, places = 2): number {
  const scale = 10 ** places;
  return Math.round(value * scale) / scale;
}

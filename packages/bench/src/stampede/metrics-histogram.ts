/**
 * A quantile of a Prometheus histogram in a text exposition, every series of it summed, by linear
 * interpolation inside the bucket that holds it (what `histogram_quantile` does); undefined when
 * the histogram is absent or empty. In the unit of the histogram.
 *
 * @example histogramQuantile('x_bucket{le="0.1"} 1\nx_bucket{le="1"} 3\nx_bucket{le="+Inf"} 3\n', 'x', 0.5) // 0.325
 */
export function histogramQuantile(text: string, name: string, q: number): number | undefined {
  const cumulative = new Map<number, number>();
  const bucket = `${name}_bucket`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${bucket}{`)) continue;
    // prom-client writes `le` first, before the series' own labels.
    const match = /[{,]le="([^"]+)"[^}]*\}\s+([0-9.eE+-]+)/.exec(line);
    if (!match) continue;
    const le = match[1] === '+Inf' ? Infinity : Number(match[1]);
    cumulative.set(le, (cumulative.get(le) ?? 0) + Number(match[2]));
  }
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const total = cumulative.get(Infinity) ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const upper of bounds) {
    const count = cumulative.get(upper)!;
    if (count >= rank) {
      // Past the last finite bound there is nothing to interpolate towards: answer that bound.
      if (upper === Infinity) return lower;
      return lower + ((upper - lower) * (rank - below)) / Math.max(count - below, Number.MIN_VALUE);
    }
    lower = upper;
    below = count;
  }
  return lower;
}

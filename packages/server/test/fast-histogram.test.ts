import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { FastHistogram } from '../src/observability/fast-histogram.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

describe('FastHistogram', () => {
  test('renders exactly what a prom-client Histogram renders for the same observations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('201', '409', '404'), fc.double({ min: 0, max: 10, noNaN: true })), { maxLength: 200 }),
        async (observations) => {
          const ours = new Registry();
          const theirs = new Registry();
          const fast = new FastHistogram({ name: 'h_seconds', help: 'h', buckets: BUCKETS, registers: [ours] });
          const reference = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route', 'status'], buckets: BUCKETS, registers: [theirs] });
          const series = new Map<string, ReturnType<typeof fast.series>>();
          for (const [status, value] of observations) {
            if (!series.has(status)) series.set(status, fast.series({ route: '/api/holds', status }));
            series.get(status)!.observe(value);
            reference.observe({ route: '/api/holds', status }, value);
          }
          const sortLines = (text: string) => text.split('\n').sort();
          expect(sortLines(await ours.metrics())).toEqual(sortLines(await theirs.metrics()));
        },
      ),
      { numRuns: 50 },
    );
  });

  test('a value on a bound falls in that bound (le is inclusive)', async () => {
    const registry = new Registry();
    const fast = new FastHistogram({ name: 'x', help: 'x', buckets: [1, 2], registers: [registry] });
    const one = fast.series({});
    one.observe(1);
    one.observe(2.5);
    const text = await registry.metrics();
    expect(text).toContain('x_bucket{le="1"} 1');
    expect(text).toContain('x_bucket{le="2"} 1');
    expect(text).toContain('x_bucket{le="+Inf"} 2');
    expect(text).toContain('x_count 2');
    expect(one.count).toBe(2);
  });

  test('registry.resetMetrics() empties it', async () => {
    const registry = new Registry();
    const series = new FastHistogram({ name: 'x', help: 'x', buckets: [1], registers: [registry] }).series({ a: 'b' });
    series.observe(0.5);
    registry.resetMetrics();
    expect(series.count).toBe(0);
    expect(await registry.metrics()).toContain('x_count{a="b"} 0');
  });
});

import { describe, expect, it } from 'vitest';
import { parseQty, renderHtml, renderTable, resolveBenchOptions, type BenchReport } from '../src/index.js';
import { StockLedger } from '../src/stampede/ledger.js';
import { histogramQuantile } from '../src/stampede/metrics-histogram.js';
import { readCounter, roundTrips } from '../src/stampede/round-trips.js';
import { histogram, summarize } from '../src/report/stats.js';

describe('options', () => {
  it('parses --qty as a number or an inclusive range', () => {
    expect(parseQty('2')).toEqual({ min: 2, max: 2 });
    expect(parseQty('1..5')).toEqual({ min: 1, max: 5 });
    for (const bad of ['0', '5..1', '1..', 'x', '-1', '1.5']) expect(() => parseQty(bad), bad).toThrow(RangeError);
  });

  it('refuses targets off this machine and targets it cannot audit', () => {
    const xDb = { kind: 'sqlite', filename: 'x.db' } as const;
    expect(() => resolveBenchOptions({ target: 'http://10.0.0.5:8000', adminToken: 't', db: xDb })).toThrow(/loopback/);
    expect(() => resolveBenchOptions({ target: 'http://127.0.0.1:8000', db: xDb })).toThrow(/--admin-token/);
    expect(() => resolveBenchOptions({ target: 'http://127.0.0.1:8000', adminToken: 't' })).toThrow(/--db/);
    expect(resolveBenchOptions({ target: 'http://127.0.0.1:8000/', adminToken: 't', db: xDb }).target).toBe('http://127.0.0.1:8000');
  });

  it('refuses to require pushed events where the bench starts no server', () => {
    const xDb = { kind: 'sqlite', filename: 'x.db' } as const;
    expect(() => resolveBenchOptions({ engine: true, events: true })).toThrow(/--events needs a server the bench starts/);
    expect(() => resolveBenchOptions({ target: 'http://127.0.0.1:8000', adminToken: 't', db: xDb, events: true })).toThrow(/--events needs a server the bench starts/);
    expect(resolveBenchOptions({}).events).toBeUndefined();
  });

  it('never draws progress when told not to, and defaults engine stock to never run out', () => {
    expect(resolveBenchOptions({ progress: false }).progress).toBe(false);
    expect(resolveBenchOptions({ engine: true, requests: 100, qty: '1..5' }).stock).toBe(500);
    expect(resolveBenchOptions({}).stock).toBe(1000);
  });
});

describe('stock ledger', () => {
  it('places releases before grants at the same instant and finds the true peak', () => {
    const ledger = new StockLedger();
    ledger.taken(1, 5);
    ledger.taken(2, 5);
    ledger.returned(3, 4);
    ledger.taken(3, 4);
    ledger.taken(4, 1);
    expect(ledger.peak().units).toBe(11);
  });
});

describe('round trips from /metrics', () => {
  const text = (calls: number, carried: number) =>
    `# TYPE flashsale_reserve_batches_total counter\nflashsale_reserve_batches_total ${calls}\nflashsale_reserve_batch_requests_total ${carried}\nflashsale_reserve_batches_total_other 99\n`;

  it('counts the store calls of a phase from two readings', () => {
    expect(readCounter(text(3, 9), 'flashsale_reserve_batches_total')).toBe(3);
    expect(roundTrips(text(3, 9), text(13, 109), 20_000)).toMatchObject({ store_calls: 10, requests_reaching_store: 100, calls_per_request: 10 / 20_000 });
  });

  it('says so when the server does not export the counters', () => {
    expect(roundTrips('flashsale_http_requests_total 5\n', 'flashsale_http_requests_total 9\n', 10)).toBeNull();
  });
});

describe('a histogram quantile from /metrics', () => {
  // As prom-client writes it: `le` first, then the series' labels; one series per sink.
  const bucket = (le: string, sink: string, count: number) => `flashsale_event_delivery_latency_seconds_bucket{le="${le}",sink="${sink}"} ${count}`;
  const text = [
    '# TYPE flashsale_event_delivery_latency_seconds histogram',
    bucket('0.1', 'a', 2), bucket('0.5', 'a', 6), bucket('+Inf', 'a', 8),
    bucket('0.1', 'b', 0), bucket('0.5', 'b', 2), bucket('+Inf', 'b', 2),
    'flashsale_event_delivery_latency_seconds_count{sink="a"} 8',
  ].join('\n');

  it('sums the series and interpolates inside the bucket that holds the rank', () => {
    // 10 observations: the 5th is the 3rd of the 6 in (0.1, 0.5].
    expect(histogramQuantile(text, 'flashsale_event_delivery_latency_seconds', 0.5)).toBeCloseTo(0.1 + 0.4 * (3 / 6));
    // Past the last finite bound there is nothing to interpolate towards.
    expect(histogramQuantile(text, 'flashsale_event_delivery_latency_seconds', 0.95)).toBe(0.5);
  });

  it('is undefined for an absent or empty histogram', () => {
    expect(histogramQuantile(text, 'flashsale_other_seconds', 0.5)).toBeUndefined();
    expect(histogramQuantile(bucket('+Inf', 'a', 0), 'flashsale_event_delivery_latency_seconds', 0.5)).toBeUndefined();
  });
});

describe('report rendering', () => {
  const report: BenchReport = {
    ok: false,
    mode: 'stampede',
    db: 'sqlite /tmp/x.db',
    target: null,
    settings: { stock: 10, requests: 100, concurrency: 8, qty: '1', seed: 1, warmup: 0, synchronous: 'FULL' },
    started_at: '2026-01-01T00:00:00.000Z',
    duration_ms: 1000,
    machine: { cpus: 2, cpu_model: 'cpu <x>', node: 'v20', platform: 'linux-x64' },
    holds_per_sec: 1234,
    latency_ms: summarize([1, 2, 3, 40]),
    status_counts: { '201': 10, '409': 90 },
    endpoints: { 'POST /api/holds': { requests: 100, latency_ms: summarize([1, 2, 3]), status_counts: { '201': 10, '409': 90 } } },
    baseline_rps: 2000,
    baseline_ratio: 0.617,
    invariants: [
      { name: 'no oversell', ok: false, detail: 'oversold by 3' },
      { name: 'verify (inventory invariants)', ok: true, detail: 'fine' },
    ],
    charts: { latency_histogram: histogram([1, 2, 3, 40]), throughput: { bucket_ms: 100, per_sec: [100, 200, 150] } },
  };

  it('ends the table with a verdict naming the broken check', () => {
    const table = renderTable(report);
    expect(table).toMatch(/✗ no oversell: oversold by 3/);
    expect(table).toMatch(/FAIL: no oversell\n$/);
    expect(table).toMatch(/ratio: 62%/);
  });

  it('draws a self-contained page: inline SVG charts, escaped text, nothing fetched', () => {
    const html = renderHtml(report);
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('cpu &lt;x&gt;');
    expect(html).not.toMatch(/<(script|link|img)\b|src=|@import|url\(/i);
  });

  it('percentiles are nearest-rank', () => {
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ count: 5, p50: 3, p90: 5, p95: 5, p99: 5, max: 5 });
  });
});

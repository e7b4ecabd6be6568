import { describe, expect, it } from 'vitest';
import { exitCodeFor, renderTable, runBench } from '../src/index.js';

const quiet = { progress: false as const, log: () => {} };

describe('engine mode', () => {
  it('runs every strategy side by side on SQLite, each correct, none oversold', async () => {
    const report = await runBench({ engine: true, strategy: 'all', requests: 300, concurrency: 16, stock: 200, qty: '1..3', warmup: 20, ...quiet });
    console.log(renderTable(report));
    expect(report.strategies!.map((s) => s.strategy)).toEqual(['pessimistic', 'atomic', 'coalesced']);
    expect(report.strategies!.map((s) => s.kind)).toEqual(['comparison baseline', 'comparison baseline', 'engine']);
    for (const strategy of report.strategies!) {
      expect(strategy.oversell).toBe(0);
      // Demand (300 requests of 1..3) exceeds the stock: every strategy must sell all of it.
      expect(strategy.units_granted).toBeGreaterThan(200 - 3);
      expect(strategy.units_granted).toBeLessThanOrEqual(200);
      expect(strategy.refused).toBeGreaterThan(0);
    }
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
    expect(exitCodeFor(report)).toBe(0);
  });

  it('runs one strategy when asked', async () => {
    const report = await runBench({ engine: true, strategy: 'atomic', requests: 50, concurrency: 4, warmup: 0, ...quiet });
    expect(report.strategies!.map((s) => s.strategy)).toEqual(['atomic']);
    // Engine mode's default stock never runs out: every request is granted.
    expect(report.strategies![0]!.granted).toBe(50);
    expect(report.ok).toBe(true);
  });
});

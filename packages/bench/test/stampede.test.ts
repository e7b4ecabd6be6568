import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, renderJson, renderTable, runBench } from '../src/index.js';
import { openOversellingStore } from './support/broken-store.js';
import { inProcessLauncher } from './support/in-process-launcher.js';

const quiet = { progress: false as const, log: () => {} };

describe('stampede mode', () => {
  it('runs a small stampede end to end against a flashsale server and every invariant holds', async () => {
    const launchServer = inProcessLauncher((db) => openSqliteStore({ filename: db }));
    const report = await runBench({ requests: 400, concurrency: 32, stock: 60, qty: '1..3', warmup: 50, baseline: true, launchServer, ...quiet });
    // Figures are printed, never asserted.
    console.log(renderTable(report));
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(exitCodeFor(report)).toBe(0);
    // The run really exercised the sale: the stock ran out, and buyers went through the whole flow.
    expect(report.status_counts['201']).toBeGreaterThan(0);
    expect(report.status_counts['409']).toBeGreaterThan(0);
    expect(report.flow!.ordered).toBeGreaterThan(0);
    expect(report.flow!.paid + report.flow!.failed).toBeGreaterThan(0);
    expect(report.flow!.expiry_pass.units).toBeGreaterThan(0);
    const json = JSON.parse(renderJson(report)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['holds_per_sec', 'latency_ms', 'status_counts', 'invariants', 'baseline_rps']));
    expect(Object.keys(json.latency_ms as object)).toEqual(expect.arrayContaining(['p50', 'p95', 'p99', 'max']));
    // Each of the 32 connections' first answer is left out of the established-connection figures;
    // the baseline ran twice (before and after the holds), each time on 32 new connections.
    expect(report.latency_established_ms!.count).toBe(report.latency_ms.count - 32);
    expect(report.baseline_rps_runs).toHaveLength(2);
    expect(report.baseline_latency_ms!.count).toBe(2 * 400);
    expect(report.baseline_latency_established_ms!.count).toBe(report.baseline_latency_ms!.count - 2 * 32);
  });

  it('reports the oversell and exits 1 when the store skips its stock guard', async () => {
    const launchServer = inProcessLauncher(openOversellingStore);
    const stock = 20;
    const report = await runBench({ requests: 200, concurrency: 16, stock, warmup: 0, launchServer, ...quiet });
    console.log(renderTable(report));
    const oversell = report.invariants.find((i) => i.name === 'no oversell');
    expect(oversell?.ok).toBe(false);
    expect(oversell?.detail).toMatch(/oversold by \d+/);
    expect(report.ok).toBe(false);
    expect(exitCodeFor(report)).toBe(1);
    expect(renderTable(report)).toMatch(/FAIL: .*no oversell/);
  });

  it('needs a server to stampede: a launcher or a target', async () => {
    await expect(runBench({ requests: 10, ...quiet })).rejects.toThrow(/needs a server: give launchServer .* or --target/);
  });
});

import { runEngine } from './engine/run-engine.js';
import { resolveBenchOptions, type BenchOptions } from './options.js';
import type { BenchReport } from './report/types.js';
import { runStampede } from './stampede/run-stampede.js';

/**
 * Runs one bench: a stampede over HTTP (default) or, with `engine: true`, the engine in-process
 * with each `strategy`. Resolves with the report whatever the invariants say; `report.ok` (and
 * {@link exitCodeFor}) tells whether every check held. Rejects only when the run could not happen
 * (bad options, a server that would not start, a database that would not open).
 *
 * @example
 * import { runBench, renderTable, exitCodeFor } from '@flashsale/bench';
 * const report = await runBench({ requests: 2000, concurrency: 64, qty: '1..5' });
 * process.stdout.write(renderTable(report));
 * process.exitCode = exitCodeFor(report);
 */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const resolved = resolveBenchOptions(options);
  return resolved.engine ? runEngine(resolved) : runStampede(resolved);
}

/**
 * 0 when every invariant held, 1 otherwise: the bench's exit status.
 *
 * @example process.exitCode = exitCodeFor(report);
 */
export function exitCodeFor(report: BenchReport): 0 | 1 {
  return report.ok ? 0 : 1;
}

/**
 * The `--json` output: the report as one line of JSON (charts included).
 *
 * @example process.stdout.write(renderJson(report));
 */
export function renderJson(report: BenchReport): string {
  return `${JSON.stringify(report)}\n`;
}

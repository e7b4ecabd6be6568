import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import type { StoreHarness } from '../harness.js';
import { historyArbitrary, type History } from './commands.js';
import { runHistory, type HistoryHarness } from './history-runner.js';
import { REGRESSIONS } from './regressions.js';

export interface ModelBasedHarness extends Pick<StoreHarness, 'name'>, HistoryHarness {
  /**
   * Random histories per property (there are two: serial, and with concurrent batches), each on a
   * fresh store. The environment variable FLASHSALE_MODEL_RUNS overrides it. Default 50: about
   * 4 s on SQLite and 17 s on PostgreSQL (a schema per history) on a 2-core machine.
   */
  runs?: number;
  /** Fixes the seed; FLASHSALE_MODEL_SEED overrides it. Default: a new one each run, printed. */
  seed?: number;
}

const MAX_COMMANDS = 40;

/**
 * Model-based random testing of an adapter (with the engine on top): random histories of holds,
 * orders, payments with new and repeated keys, clock moves, expiry passes and restocks, some sent
 * as concurrent batches, run against a fresh store and against an independent in-memory model of
 * the rules of docs/model.md. Every answer must equal the model's (for a concurrent batch: the answers of
 * some serial order), and after every command `verify` is clean and the stock is the model's.
 *
 * Prints the seed once; a failure prints the shrunk history and how to replay it
 * (FLASHSALE_MODEL_SEED and FLASHSALE_MODEL_PATH=<property>:<path>).
 *
 * @example
 * // packages/adapter-sqlite/test/model.test.ts
 * import { runModelBasedTests } from '@flashsale/core/testing';
 * runModelBasedTests({ name: 'sqlite (:memory:)', createStore: () => openSqliteStore({ filename: ':memory:' }) });
 */
export function runModelBasedTests(harness: ModelBasedHarness): void {
  const seed = envInteger('FLASHSALE_MODEL_SEED') ?? harness.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  const runs = envInteger('FLASHSALE_MODEL_RUNS') ?? harness.runs ?? 50;
  const [replayOf, replayPath] = (process.env.FLASHSALE_MODEL_PATH ?? '').split(/:(.*)/s);

  describe(`model-based: ${harness.name}`, () => {
    let histories = 0;
    afterAll(() => {
      console.log(`[model-based] ${harness.name}: ${histories} random histories checked against the model, seed ${seed} (replay: FLASHSALE_MODEL_SEED=${seed})`);
    });

    const property = (label: 'serial' | 'concurrent', concurrent: boolean) => async () => {
      const details = await fc.check(
        fc.asyncProperty(historyArbitrary({ concurrent, maxCommands: MAX_COMMANDS }), (history) => runHistory(harness, history)),
        { seed, numRuns: runs, ...(replayOf === label && replayPath ? { path: replayPath } : {}) },
      );
      histories += details.numRuns;
      if (details.failed) {
        const report = await fc.asyncDefaultReportMessage(details);
        const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        throw new Error(
          `${report}\n\n${cause}\n\nReplay: FLASHSALE_MODEL_SEED=${details.seed} FLASHSALE_MODEL_PATH=${label}:${details.counterexamplePath}\n` +
            `Keep it: add to packages/core/src/testing/model/regressions.ts\n${JSON.stringify(details.counterexample?.[0])}`,
        );
      }
    };

    // Generous timeouts: a failure spends most of its time shrinking, and the shrunk case is the point.
    it(`answers like the reference model over ${runs} random histories`, property('serial', false), 600_000);
    it(`answers concurrent batches like some serial order of the model, over ${runs} random histories`, property('concurrent', true), 600_000);
    for (const { name, history } of REGRESSIONS) {
      it(`regression: ${name}`, () => runHistory(harness, history));
    }
  });
}

function envInteger(name: string): number | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number.parseInt(value, 10);
}

export type { History };

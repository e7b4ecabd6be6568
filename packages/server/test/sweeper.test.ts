import type { ReleaseSummary } from '@flashsale/core';
import { describe, expect, test } from 'vitest';
import { startSweeper } from '../src/index.js';
import { harness } from './helpers.js';

const EMPTY: ReleaseSummary = { holds: 0, orders: 0, units: 0, purgedIdempotency: 0, purgedEvents: 0 };

/** Resolves on the next call of the returned callback. */
function nextCall<T>() {
  const waiters: ((value: T) => void)[] = [];
  const callback = (value: T) => {
    for (const waiter of waiters.splice(0)) waiter(value);
  };
  const next = () => new Promise<T>((r) => waiters.push(r));
  return { callback, next };
}

describe('startSweeper', () => {
  test('releases expired holds on its own, and counts its runs in the metrics', async () => {
    const h = harness();
    const id = await h.product(5);
    await h.hold(id, 3);
    h.clock.advance(120_000);
    const runs = nextCall<ReleaseSummary>();
    const sweeper = startSweeper(h.engine, { intervalMs: 1, onRun: runs.callback });
    const summary = await runs.next();
    await sweeper.stop();
    expect(summary).toMatchObject({ holds: 1, units: 3 });
    expect(await h.stock(id)).toBe(5);
  });

  test('passes never overlap, even when one takes longer than the interval', async () => {
    let running = 0;
    let maxRunning = 0;
    let passes = 0;
    const done = nextCall<number>();
    const engine = {
      async releaseExpired() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        passes++;
        done.callback(passes);
        return EMPTY;
      },
    };
    const sweeper = startSweeper(engine, { intervalMs: 1 });
    while ((await done.next()) < 5);
    // A manual run while the timer is also firing still waits its turn.
    await Promise.all([sweeper.runOnce(), sweeper.runOnce()]);
    await sweeper.stop();
    expect(maxRunning).toBe(1);
  });

  test('a failing pass is reported and the sweeper keeps going', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const runs = nextCall<ReleaseSummary>();
    const engine = {
      releaseExpired: () => (++calls === 1 ? Promise.reject(new Error('database is locked')) : Promise.resolve(EMPTY)),
    };
    const sweeper = startSweeper(engine, { intervalMs: 1, onError: (err) => errors.push(err), onRun: runs.callback });
    await runs.next();
    await sweeper.stop();
    expect(errors).toHaveLength(1);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  test('stop() waits for the pass in progress and no pass starts afterwards', async () => {
    let release!: () => void;
    let started = 0;
    let finished = 0;
    const startedOnce = nextCall<void>();
    const engine = {
      async releaseExpired() {
        started++;
        startedOnce.callback();
        await new Promise<void>((r) => (release = r));
        finished++;
        return EMPTY;
      },
    };
    const sweeper = startSweeper(engine, { intervalMs: 1 });
    await startedOnce.next();
    const stopping = sweeper.stop();
    let stopped = false;
    void stopping.then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(1);
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toBe(1);
  });

  test('refuses a non-positive interval', () => {
    expect(() => startSweeper({ releaseExpired: async () => EMPTY }, { intervalMs: 0 })).toThrow(RangeError);
  });
});

import type { FlashSale, ReleaseSummary } from '@flashsale/core';

export interface SweeperOptions {
  /** Time between the end of one pass and the start of the next. Default 5000 ms. */
  intervalMs?: number;
  /** Told after each pass. */
  onRun?: (summary: ReleaseSummary) => void;
  /** Told when a pass fails; the sweeper keeps going. Default: ignored. */
  onError?: (error: unknown) => void;
}

export interface Sweeper {
  /** Runs one pass now (waiting for a pass in progress first, never overlapping it). */
  runOnce(): Promise<ReleaseSummary | undefined>;
  /** Stops scheduling passes and resolves once a pass in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Calls `engine.releaseExpired()` every `intervalMs`: expired holds and overdue orders give their
 * stock back, old idempotency records are purged. The next pass is scheduled only when the last
 * one has ended, so passes never overlap; the timer does not keep the process alive.
 *
 * @example
 * const sweeper = startSweeper(engine, { intervalMs: 5_000, onError: (err) => logger.error({ err }) });
 * // on shutdown:
 * await sweeper.stop();
 */
export function startSweeper(engine: Pick<FlashSale, 'releaseExpired'>, options: SweeperOptions = {}): Sweeper {
  const intervalMs = options.intervalMs ?? 5_000;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`intervalMs must be a positive number, got ${intervalMs}`);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ReleaseSummary | undefined> | undefined;

  const pass = async (): Promise<ReleaseSummary | undefined> => {
    try {
      const summary = await engine.releaseExpired();
      options.onRun?.(summary);
      return summary;
    } catch (error) {
      options.onError?.(error);
      return undefined;
    }
  };

  const runOnce = async (): Promise<ReleaseSummary | undefined> => {
    while (running) await running;
    const current = pass();
    running = current;
    try {
      return await current;
    } finally {
      if (running === current) running = undefined;
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      timer = undefined;
      void runOnce().then(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    runOnce,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      while (running) await running;
    },
  };
}

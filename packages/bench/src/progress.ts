import cliProgress from 'cli-progress';

/** A progress bar on stderr, or nothing at all (CI, pipes, `progress: false`). */
export interface Progress {
  start(label: string, total: number): void;
  update(done: number, total?: number): void;
  stop(): void;
}

const quiet: Progress = { start() {}, update() {}, stop() {} };

/**
 * Draws one bar per phase with cli-progress on stderr, so stdout keeps only the report.
 *
 * @example const progress = createProgress(true); progress.start('holds', 20000); progress.update(500); progress.stop();
 */
export function createProgress(enabled: boolean): Progress {
  if (!enabled) return quiet;
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(label, total) {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        { stream: process.stderr, format: `${label.padEnd(10)} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}`, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0);
    },
    update(done, total) {
      if (total !== undefined) bar?.setTotal(total);
      bar?.update(done);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

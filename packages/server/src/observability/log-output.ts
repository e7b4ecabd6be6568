/** Where log text goes: `process.stdout`, or anything with a stream's `write`. */
export interface LogOutput {
  write(text: string, callback?: (error?: Error | null) => void): unknown;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  /** Bytes accepted but not yet written (a Node stream's own count). */
  readonly writableLength?: number;
}

export interface BufferedOutputOptions {
  /** The longest a line waits before it is written. Default 100 ms. */
  flushIntervalMs?: number;
  /** Write as soon as this many characters are waiting. Default 16 KiB. */
  maxPendingChars?: number;
  /** Drop new text while the output itself holds this many bytes it could not write yet. Default 1 MiB. */
  maxQueuedBytes?: number;
}

/** Log text that never blocks, never throws and never stops the process, whatever its reader does. */
export interface BufferedOutput {
  /** Adds whole lines (each ending with "\n") to what the next write carries. */
  write(text: string): void;
  /** Writes what is waiting now. */
  flush(): void;
  /** Lines given up: the output failed (EPIPE once its reader is gone), or fell too far behind. */
  readonly droppedLines: number;
  /** Flushes and stops the timer. Later lines are dropped (and counted). */
  close(): void;
}

const DEFAULTS = { flushIntervalMs: 100, maxPendingChars: 16 * 1024, maxQueuedBytes: 1024 * 1024 };

/** Outputs already given an 'error' listener, so a stream shared by several logs gets one. */
const guarded = new WeakSet<object>();
/** Open outputs, flushed when the process exits (a forced exit, an uncaught exception). */
const open = new Set<BufferedOutput>();
let exitHookInstalled = false;

/**
 * Buffers log lines and writes them in one call per `maxPendingChars`, or `flushIntervalMs` after
 * the first line that waits, whichever comes first: a stampede costs one write per few dozen
 * lines, and a line on a quiet server still shows within the interval. The timer is unref'd.
 *
 * A failed write is never retried: its lines are counted as dropped, and once the output has
 * failed (EPIPE when the reader of a pipe has gone, ENOSPC...) everything after is dropped too.
 * The output's 'error' event is listened to, so a broken stdout does not end the process.
 *
 * @example const out = bufferedOutput(process.stdout); out.write('{"msg":"hi"}\n'); out.close();
 */
export function bufferedOutput(output: LogOutput, options: BufferedOutputOptions = {}): BufferedOutput {
  const { flushIntervalMs, maxPendingChars, maxQueuedBytes } = { ...DEFAULTS, ...options };
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  let failed = false;
  let closed = false;
  let dropped = 0;

  if (typeof output.on === 'function' && !guarded.has(output)) {
    guarded.add(output);
    // Every failed write also reaches its callback below, which does the counting.
    output.on('error', () => {});
  }

  const drop = (text: string) => {
    dropped += countLines(text);
  };
  const flush = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (pending === '') return;
    const text = pending;
    pending = '';
    if (failed || (output.writableLength ?? 0) > maxQueuedBytes) return drop(text);
    try {
      output.write(text, (error) => {
        if (!error) return;
        failed = true;
        drop(text);
      });
    } catch {
      failed = true;
      drop(text);
    }
  };
  const buffered: BufferedOutput = {
    write(text) {
      if (failed || closed) return drop(text);
      pending += text;
      if (pending.length >= maxPendingChars) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushIntervalMs);
        timer.unref();
      }
    },
    flush,
    get droppedLines() {
      return dropped;
    },
    close() {
      flush();
      closed = true;
      open.delete(buffered);
    },
  };
  open.add(buffered);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const each of open) each.flush();
    });
  }
  return buffered;
}

function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

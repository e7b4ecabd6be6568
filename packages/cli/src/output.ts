/** Where a command writes, and what it knows about the terminal. Tests pass their own. */
export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean | undefined };
  stderr: { write(text: string): unknown; isTTY?: boolean | undefined };
  env: NodeJS.ProcessEnv;
}

/**
 * The process's own streams and environment. A write to a stdout or stderr whose reader has gone
 * (EPIPE) fails quietly instead of ending the process: a server must keep selling, draining and
 * exiting with no one reading its output, and `verify --json | head -1` is no crash either.
 */
export function processIo(): Io {
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.listenerCount('error') === 0) stream.on('error', () => {});
  }
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Writes one line to stdout. */
export function say(io: Io, line: string): void {
  io.stdout.write(`${line}\n`);
}

/** Writes one line to stderr. */
export function warn(io: Io, line: string): void {
  io.stderr.write(`${line}\n`);
}

/** Writes `value` as JSON on stdout, for scripts (`| jq`). */
export function printJson(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A status line that rewrites itself on a terminal, and says nothing in CI or a pipe. */
export interface Progress {
  update(text: string): void;
  /** Clears the line. */
  done(): void;
}

/**
 * Progress for long work: shown on stderr only when it is a terminal and `CI` is unset, so logs
 * and `--json` output stay clean.
 *
 * @example const p = progress(io); p.update('released 500 holds…'); …; p.done();
 */
export function progress(io: Io): Progress {
  const live = io.stderr.isTTY === true && !io.env.CI;
  if (!live) return { update() {}, done() {} };
  let shown = false;
  return {
    update(text) {
      io.stderr.write(`\r\x1b[2K${text}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

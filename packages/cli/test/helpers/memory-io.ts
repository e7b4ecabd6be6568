import type { Io } from '../../src/output.js';

/** An Io that keeps what a command writes, for in-process runs of `main`. */
export function memoryIo(env: NodeJS.ProcessEnv = {}): Io & { out(): string; err(): string } {
  let stdout = '';
  let stderr = '';
  return {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
    out: () => stdout,
    err: () => stderr,
  };
}

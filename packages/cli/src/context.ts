import type { Io } from './output.js';

/** What every command gets: where to write, and where to leave its exit status. */
export interface CliContext {
  io: Io;
  /** The status the process ends with once the command returns. */
  exitCode: number;
}

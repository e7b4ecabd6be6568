import type { Io } from './output.js';

/** What every command gets: where to write, and where to leave its exit status. */
export interface CliContext {
  io: Io;
  /** The status the process ends with once the command returns. */
  exitCode: number;
  /** The command line being run (without node and the script): `serve --workers` hands it to its workers. */
  argv?: readonly string[];
}

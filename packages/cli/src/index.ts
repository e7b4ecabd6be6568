/**
 * The programmatic face of the `flashsale` command, kept small on purpose: run a command line in
 * this process, and the two grammars its flags share with the libraries (a `--db` target, which
 * `runBench({ db })` takes parsed, and a duration). Everything else is the command line itself.
 */
export { main } from './main.js';
export type { Io } from './output.js';
export { EXIT } from './cli-error.js';
export { parseDbTarget, DbTargetError } from './open-store.js';
export type { DbTarget } from './open-store.js';
export { parseDuration } from './duration.js';

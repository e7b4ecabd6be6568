import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, UsageError } from './cli-error.js';

/** The file read when no `--env-file` is given, if it exists in the working directory. */
const DEFAULT_ENV_FILE = '.env';

/**
 * Loads `KEY=value` lines into `process.env` before any option reads it: the file named by
 * `--env-file`, or else `./.env` when there is one. A variable the environment already has keeps
 * its value, so a flag beats the environment, which beats the file.
 *
 * @example loadEnvFile(undefined) // reads ./.env if present; DATABASE_URL=… in the shell still wins
 */
export function loadEnvFile(path: string | undefined, cwd: string = process.cwd()): void {
  const file = resolve(cwd, path ?? DEFAULT_ENV_FILE);
  if (path === undefined && !existsSync(file)) return;
  try {
    process.loadEnvFile(file);
  } catch (error) {
    // The code only (ENOENT, EACCES…): the file may hold secrets, so nothing of its content is shown.
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    if (path !== undefined) throw new UsageError(`--env-file: cannot read ${path} (${reason})`);
    throw new CliError(`cannot read ${file} (${reason}); pass --env-file with another file, or remove it`);
  }
}

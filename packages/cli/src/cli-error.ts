/** Exit statuses of every command. */
export const EXIT = {
  ok: 0,
  /** The command ran and found a problem (a broken invariant, a refused request, storage down). */
  failure: 1,
  /** The command line itself is wrong: unknown flag, bad value, missing option. */
  usage: 2,
} as const;

/**
 * An error meant for the person at the terminal: printed as one line, without a stack trace,
 * and turned into `exitCode`.
 *
 * @example throw new CliError('product 7 does not exist', EXIT.failure)
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** A wrong command line, found after commander parsed it (such as a `--db` naming no database). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

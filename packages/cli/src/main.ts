import { FlashSaleError } from '@flashsale/core';
import { CommanderError } from 'commander';
import { CliError, EXIT } from './cli-error.js';
import type { CliContext } from './context.js';
import { processIo, warn, type Io } from './output.js';
import { createProgram } from './program.js';
import { redact } from './redact.js';

/**
 * Runs the command line `argv` (without `node` and the script) and resolves with the exit status.
 * It never exits the process and never prints a stack trace for a user error; set
 * `FLASHSALE_DEBUG=1` to see the stack of an unexpected one.
 *
 * @example process.exitCode = await main(['verify', '--db', 'shop.db'])
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.ok, argv: [...argv] };
  try {
    await createProgram(ctx).parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

/** Prints `error` as one line and returns the exit status it deserves. */
function reportError(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    // Commander has printed help, the version, or a one-line usage error already.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    warn(io, `error: ${redact(error.message)}`);
    return error.exitCode;
  }
  if (FlashSaleError.is(error)) {
    warn(io, `error: ${redact(error.message)} (${error.code})`);
    return EXIT.failure;
  }
  const message = error instanceof Error ? error.message : String(error);
  warn(io, `error: ${redact(message)}`);
  if (io.env.FLASHSALE_DEBUG && error instanceof Error && error.stack) warn(io, redact(error.stack));
  return EXIT.failure;
}

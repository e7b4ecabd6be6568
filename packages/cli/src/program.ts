import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerEventsRedeliver } from './commands/events-redeliver.js';
import { registerEventsTail } from './commands/events-tail.js';
import { registerHoldsRelease } from './commands/holds-release.js';
import { registerMigrate } from './commands/migrate.js';
import { registerProductsCreate } from './commands/products-create.js';
import { registerProductsUpdate } from './commands/products-update.js';
import { registerRestock } from './commands/restock.js';
import { registerSeed } from './commands/seed.js';
import { registerServe } from './commands/serve.js';
import { registerVerify } from './commands/verify.js';
import { registerBench } from './commands/bench.js';
import type { CliContext } from './context.js';
import { loadEnvFile } from './env-file.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Builds the `flashsale` command line. Commander never exits the process here (`exitOverride`):
 * {@link main} turns its errors into exit statuses, so usage errors are one line and status 2.
 *
 * @example await createProgram({ io: processIo(), exitCode: 0 }).parseAsync(['verify', '--json'], { from: 'user' })
 */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('flashsale');
  // Set before any subcommand is added: `.command()` copies these settings to each one.
  program
    .description('Sell a limited stock to a stampede without overselling: the HTTP server and its tools.')
    .version(VERSION, '-V, --version')
    // A program option, so it is taken before or after the command name (`flashsale serve --env-file x`).
    .option('--env-file <path>', 'read environment variables (DATABASE_URL, PORT…) from this file; variables already set win (default: ./.env when present)')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      // Commander puts "(Did you mean …?)" on a second line; a usage error is one line here.
      outputError: (text, write) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .addHelpText(
      'after',
      [
        '',
        'Every command takes --db (a file path, sqlite:path, :memory:, postgres://… or mysql://…; env DATABASE_URL;',
        'default ./flashsale.db) and --help. A flag beats its environment variable, which beats the',
        '--env-file (or ./.env) value.',
        '',
        'Exit status: 0 done, 1 failed (refused, storage unavailable, verify found a violation), 2 bad command line.',
        '',
        'Start here:\n  flashsale serve                 # http://localhost:8000, SQLite in ./flashsale.db',
      ].join('\n'),
    )
    // Before the command parses its options, which read their environment variables.
    .hook('preSubcommand', (command) => loadEnvFile(command.opts<{ envFile?: string }>().envFile));
  registerServe(program, ctx);
  registerMigrate(program, ctx);
  registerSeed(program, ctx);
  registerProductsCreate(program, ctx);
  registerProductsUpdate(program, ctx);
  registerRestock(program, ctx);
  registerHoldsRelease(program, ctx);
  registerVerify(program, ctx);
  registerEventsTail(program, ctx);
  registerEventsRedeliver(program, ctx);
  registerBench(program, ctx);
  return program;
}

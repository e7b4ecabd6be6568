import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { describeDbTarget } from '../open-store.js';
import { dbOption, jsonOption } from '../options.js';
import { printJson, say } from '../output.js';
import { withSale } from '../with-sale.js';

/** `flashsale migrate`: creates or updates the schema. Opening a store migrates it, so this only opens and closes. */
export function registerMigrate(program: Command, ctx: CliContext): void {
  program
    .command('migrate')
    .description('create or update the database schema, then exit (serve does this on start too)')
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  flashsale migrate --db ./shop.db\n  flashsale migrate --db postgres://app:secret@db.internal/shop')
    .action(async (opts: { db: string; json?: boolean }) => {
      await withSale(opts.db, {}, async (_sale, target) => {
        const db = describeDbTarget(target);
        if (opts.json) printJson(ctx.io, { ok: true, db });
        else say(ctx.io, `database ready: ${db}`);
      });
    });
}

import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { dbOption, jsonOption } from '../options.js';
import { printJson, progress, say } from '../output.js';
import { verifyJson } from '../wire.js';
import { withSale } from '../with-sale.js';

/** `flashsale verify`: the audit of the inventory invariants (docs/model.md); exit 1 when any invariant is broken. */
export function registerVerify(program: Command, ctx: CliContext): void {
  program
    .command('verify')
    .description('audit the inventory invariants (nothing oversold, lost or double-counted); exit 1 when one is broken')
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText(
      'after',
      [
        '',
        'Checks, for every product: initial + restocked = available + active holds + pending orders',
        '+ completed orders, and available stock never negative; and that every converted hold has',
        'exactly one order matching it. Reads one consistent snapshot: safe while a server runs.',
        '',
        'Exit status: 0 all invariants hold, 1 a violation (listed), 2 bad command line.',
        '',
        'Example:\n  flashsale verify --json | jq .violations',
      ].join('\n'),
    )
    .action(async (opts: { db: string; json?: boolean }) => {
      const bar = progress(ctx.io);
      bar.update('auditing…');
      const report = await withSale(opts.db, {}, (sale) => sale.verify()).finally(() => bar.done());
      if (!report.ok) ctx.exitCode = EXIT.failure;
      if (opts.json) {
        printJson(ctx.io, verifyJson(report));
        return;
      }
      if (report.ok) {
        say(ctx.io, `ok: ${report.products} product${report.products === 1 ? '' : 's'} audited, every invariant holds`);
        return;
      }
      say(ctx.io, `BROKEN: ${report.violations.length} violation${report.violations.length === 1 ? '' : 's'} in ${report.products} products`);
      for (const v of report.violations) {
        say(ctx.io, `  ${v.rule}${v.productId === undefined ? '' : ` (product ${v.productId})`}: ${v.detail}`);
      }
    });
}

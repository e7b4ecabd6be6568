import { INPUT_LIMITS } from '@flashsale/core';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { dbOption, intArg, jsonOption } from '../options.js';
import { printJson, say } from '../output.js';
import { productJson, productLine } from '../wire.js';
import { withSale } from '../with-sale.js';

/** `flashsale restock`: adds units to a product; the audit counts them as restocked. */
export function registerRestock(program: Command, ctx: CliContext): void {
  program
    .command('restock')
    .description('add stock to a product (safe while a server is selling it)')
    .addOption(dbOption())
    .requiredOption('--product <id>', 'product id', intArg(1))
    .requiredOption('--qty <n>', 'units to add', intArg(1, INPUT_LIMITS.restockQty.max))
    .addOption(jsonOption())
    .addHelpText('after', '\nExample:\n  flashsale restock --product 1 --qty 25')
    .action(async (opts: { db: string; product: number; qty: number; json?: boolean }) => {
      await withSale(opts.db, {}, async (sale) => {
        const product = await sale.restock({ productId: opts.product, qty: opts.qty });
        if (opts.json) printJson(ctx.io, productJson(product));
        else say(ctx.io, `restocked +${opts.qty}: ${productLine(product)}`);
      });
    });
}

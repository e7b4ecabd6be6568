import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { seedDemoProduct } from '../demo-product.js';
import { dbOption, jsonOption } from '../options.js';
import { printJson, say } from '../output.js';
import { productJson, productLine } from '../wire.js';
import { withSale } from '../with-sale.js';

/** `flashsale seed`: the demo product of the README's examples, once. */
export function registerSeed(program: Command, ctx: CliContext): void {
  program
    .command('seed')
    .description('create the demo product (id 1, "Limited Edition Product", 99.99, stock 50) when the database has no product')
    .addOption(dbOption())
    .addOption(jsonOption())
    .addHelpText('after', '\nRunning it again changes nothing: it reports the product that is already there.\n\nExample:\n  flashsale seed --db ./shop.db --json')
    .action(async (opts: { db: string; json?: boolean }) => {
      await withSale(opts.db, {}, async (sale) => {
        const { created, product } = await seedDemoProduct(sale);
        if (opts.json) printJson(ctx.io, { seeded: created, product: productJson(product) });
        else say(ctx.io, created ? `seeded ${productLine(product)}` : `nothing to seed: the database already has ${productLine(product)}`);
      });
    });
}

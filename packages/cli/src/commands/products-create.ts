import { INPUT_LIMITS } from '@flashsale/core';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { dbOption, intArg, jsonOption, priceArg } from '../options.js';
import { printJson, say } from '../output.js';
import { productJson, productLine } from '../wire.js';
import { withSale } from '../with-sale.js';

/** `flashsale products:create`: a new product, printed with its id. */
export function registerProductsCreate(program: Command, ctx: CliContext): void {
  program
    .command('products:create')
    .description('create a product and print it with its id')
    .addOption(dbOption())
    .requiredOption('--name <name>', `product name (1 to ${INPUT_LIMITS.productName.maxLength} characters)`)
    .requiredOption('--price <decimal>', 'price as a decimal, at most two places, like 99.99', priceArg)
    .requiredOption('--stock <n>', 'units on sale', intArg(0, INPUT_LIMITS.stock.max))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      '\nExamples:\n  flashsale products:create --name "Sneaker" --price 129.00 --stock 500\n  id=$(flashsale products:create --name Drop --price 5 --stock 50 --json | jq .id)',
    )
    .action(async (opts: { db: string; name: string; price: string; stock: number; json?: boolean }) => {
      await withSale(opts.db, {}, async (sale) => {
        const product = await sale.createProduct({ name: opts.name, price: opts.price, stock: opts.stock });
        if (opts.json) printJson(ctx.io, productJson(product));
        else say(ctx.io, `created ${productLine(product)}`);
      });
    });
}

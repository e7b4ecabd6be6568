import { INPUT_LIMITS } from '@flashsale/core';
import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { dbOption, instantArg, intArg, jsonOption, limitArg, priceArg } from '../options.js';
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
    .option('--starts-at <iso>', 'no hold before this instant (ISO-8601 with a zone, like 2030-01-01T09:00:00Z)', instantArg(false))
    .option('--ends-at <iso>', 'no hold from this instant on (after --starts-at)', instantArg(false))
    .option('--max-per-buyer <n>', "the most units one buyer may have (holds name their buyer with buyer_id)", limitArg(false))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  flashsale products:create --name "Sneaker" --price 129.00 --stock 500',
        '  id=$(flashsale products:create --name Drop --price 5 --stock 50 --json | jq .id)',
        '  flashsale products:create --name "Drop 7" --price 180 --stock 300 --starts-at 2030-01-01T09:00:00Z --max-per-buyer 2',
      ].join('\n'),
    )
    .action(async (opts: { db: string; name: string; price: string; stock: number; startsAt?: number; endsAt?: number; maxPerBuyer?: number; json?: boolean }) => {
      if (opts.startsAt !== undefined && opts.endsAt !== undefined && opts.endsAt <= opts.startsAt) throw new UsageError('--ends-at must be after --starts-at');
      await withSale(opts.db, {}, async (sale) => {
        const product = await sale.createProduct({
          name: opts.name,
          price: opts.price,
          stock: opts.stock,
          ...(opts.startsAt === undefined ? {} : { saleStartsAt: opts.startsAt }),
          ...(opts.endsAt === undefined ? {} : { saleEndsAt: opts.endsAt }),
          ...(opts.maxPerBuyer === undefined ? {} : { maxPerBuyer: opts.maxPerBuyer }),
        });
        if (opts.json) printJson(ctx.io, productJson(product));
        else say(ctx.io, `created ${productLine(product)}`);
      });
    });
}

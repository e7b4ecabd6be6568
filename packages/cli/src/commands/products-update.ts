import { INPUT_LIMITS, type UpdateProductInput } from '@flashsale/core';
import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { dbOption, instantArg, intArg, jsonOption, limitArg, NONE, orNull, priceArg } from '../options.js';
import { printJson, say } from '../output.js';
import { productJson, productLine } from '../wire.js';
import { withSale } from '../with-sale.js';

interface UpdateFlags {
  db: string;
  product: number;
  name?: string;
  price?: string;
  startsAt?: number | typeof NONE;
  endsAt?: number | typeof NONE;
  maxPerBuyer?: number | typeof NONE;
  json?: boolean;
}

/** `flashsale products:update`: change a product's name, price, sale window or per-buyer limit. */
export function registerProductsUpdate(program: Command, ctx: CliContext): void {
  program
    .command('products:update')
    .description("change a product's name, price, sale window or per-buyer limit (safe while servers sell it: the next hold sees it)")
    .addOption(dbOption())
    .requiredOption('--product <id>', 'product id', intArg(1))
    .option('--name <name>', `new name (1 to ${INPUT_LIMITS.productName.maxLength} characters)`)
    .option('--price <decimal>', 'new price, like 99.99', priceArg)
    .option('--starts-at <iso|none>', 'no hold before this instant (ISO-8601 with a zone); none: no start', instantArg(true))
    .option('--ends-at <iso|none>', 'no hold from this instant on; none: no end', instantArg(true))
    .option('--max-per-buyer <n|none>', 'the most units one buyer may have; none: no limit', limitArg(true))
    .addOption(jsonOption())
    .addHelpText(
      'after',
      [
        '',
        'Fields not given stay as they are. The window is checked with the stored values: an end that is',
        'not after the start is refused (exit 1) and nothing changes.',
        '',
        'Examples:',
        '  flashsale products:update --product 7 --starts-at 2030-01-01T09:00:00Z --max-per-buyer 2',
        '  flashsale products:update --product 7 --starts-at none          # open the sale now',
        '  flashsale products:update --product 7 --ends-at "$(date -u -d "+1 hour" +%FT%TZ)" --json',
      ].join('\n'),
    )
    .action(async (opts: UpdateFlags) => {
      const changes: Omit<UpdateProductInput, 'productId'> = {
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(opts.price === undefined ? {} : { price: opts.price }),
        ...(opts.startsAt === undefined ? {} : { saleStartsAt: orNull(opts.startsAt) }),
        ...(opts.endsAt === undefined ? {} : { saleEndsAt: orNull(opts.endsAt) }),
        ...(opts.maxPerBuyer === undefined ? {} : { maxPerBuyer: orNull(opts.maxPerBuyer) }),
      };
      if (Object.keys(changes).length === 0) throw new UsageError('products:update needs something to change: --name, --price, --starts-at, --ends-at or --max-per-buyer');
      await withSale(opts.db, {}, async (sale) => {
        const product = await sale.updateProduct({ productId: opts.product, ...changes });
        if (opts.json) printJson(ctx.io, productJson(product));
        else say(ctx.io, `updated ${productLine(product)}`);
      });
    });
}

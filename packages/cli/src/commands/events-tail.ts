import { merchantEventJson, type FlashSale, type MerchantEventJson } from '@flashsale/core';
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';
import { dbOption, durationArg, intArg } from '../options.js';
import { say } from '../output.js';
import { withSale } from '../with-sale.js';

interface TailOptions {
  db: string;
  after: number;
  limit: number;
  follow?: boolean;
  interval: number;
  json?: boolean;
}

/**
 * `flashsale events:tail`: the merchant events after a position, oldest first; with --follow it
 * keeps polling until interrupted. Each line names its position, so a script restarts from the
 * last one it handled with --after.
 */
export function registerEventsTail(program: Command, ctx: CliContext): void {
  program
    .command('events:tail')
    .description('print the events for the merchant (orders, releases, sold out, restocked) after a position; --follow keeps watching')
    .addOption(dbOption())
    .addOption(new Option('--after <position>', 'only events with a position above this one (0: from the oldest kept)').argParser(intArg(0)).default(0))
    .addOption(new Option('--limit <n>', 'without --follow: print at most this many events').argParser(intArg(1)).default(1000))
    .addOption(new Option('--follow', 'keep polling for new events until interrupted (Ctrl-C)'))
    .addOption(new Option('--interval <duration>', 'with --follow: time between polls when nothing is new').argParser(durationArg()).default(1_000, '1s'))
    .addOption(new Option('--json', 'print one JSON object per event and line (for scripts)'))
    .addHelpText(
      'after',
      [
        '',
        'Text lines are "<position> <created_at> <type> <field>=<value>…"; --json prints one JSON object',
        'per line, the form GET /api/admin/events answers (docs/events.md).',
        '',
        'Examples:\n  flashsale events:tail --after 41\n  flashsale events:tail --follow --json | ./ship-orders',
      ].join('\n'),
    )
    .action(async (opts: TailOptions) => {
      // One event per line either way, so a pipe reads each as it comes (JSON Lines with --json).
      const print = (event: MerchantEventJson) => say(ctx.io, opts.json ? JSON.stringify(event) : textLine(event));
      await withSale(opts.db, {}, (sale) => (opts.follow ? follow(sale, opts, print) : once(sale, opts, print)));
    });
}

/** Prints up to --limit events after --after, page by page. */
async function once(sale: FlashSale, opts: TailOptions, print: (event: MerchantEventJson) => void): Promise<void> {
  let after = opts.after;
  let left = opts.limit;
  while (left > 0) {
    const page = await sale.readEvents({ after, limit: Math.min(left, 1000) });
    page.events.forEach((event) => print(merchantEventJson(event)));
    if (page.events.length === 0) return;
    left -= page.events.length;
    after = page.next;
  }
}

/** Polls until SIGINT or SIGTERM, then returns so the store is closed. */
async function follow(sale: FlashSale, opts: TailOptions, print: (event: MerchantEventJson) => void): Promise<void> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let after = opts.after;
    while (!stopped) {
      const page = await sale.readEvents({ after, limit: 1000 });
      page.events.forEach((event) => print(merchantEventJson(event)));
      after = page.next;
      if (page.events.length === 0 && !stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, opts.interval).unref();
        });
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function textLine(event: MerchantEventJson): string {
  const fields = Object.entries(event.data).map(([name, value]) => `${name}=${value}`);
  return [event.position, event.created_at, event.type, ...fields].join(' ');
}

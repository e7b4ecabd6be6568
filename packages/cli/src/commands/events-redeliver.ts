import { Option, type Command } from 'commander';
import { UsageError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { dbOption, intArg } from '../options.js';
import { say } from '../output.js';
import { withSale } from '../with-sale.js';

interface RedeliverOptions {
  db: string;
  from: number;
  url?: string;
  json?: boolean;
}

/**
 * `flashsale events:redeliver --from N`: the events from position N on are pushed again to every
 * sink `flashsale serve` has delivered to (or one webhook URL), by the servers' delivery loops. A
 * receiver drops repeats by the event id (its webhook-id), so sending too much is safe.
 */
export function registerEventsRedeliver(program: Command, ctx: CliContext): void {
  program
    .command('events:redeliver')
    .description('push the merchant events from a position on again, to every sink serve delivers to (or one --url)')
    .addOption(dbOption())
    .addOption(new Option('--from <position>', 'the first event position to send again').argParser(intArg(1)).makeOptionMandatory())
    .addOption(new Option('--url <url>', 'only to this --events-url of serve'))
    .addOption(new Option('--json', 'print the result as JSON'))
    .addHelpText(
      'after',
      [
        '',
        'Events already delivered or given up (dead) are queued again; events still waiting keep their',
        'place. A running `flashsale serve --events-url …` delivers them; this command only queues.',
        '',
        'Examples:\n  flashsale events:redeliver --from 1\n  flashsale events:redeliver --from 4200 --url https://shop.example/hooks/flashsale',
      ].join('\n'),
    )
    .action(async (opts: RedeliverOptions) => {
      const sink = opts.url === undefined ? undefined : await webhookSinkIdOf(opts.url);
      const sinks = await withSale(opts.db, {}, (sale) => sale.redeliverEvents({ from: opts.from, ...(sink === undefined ? {} : { sink }) }));
      if (opts.json) return say(ctx.io, JSON.stringify({ from: opts.from, sinks }));
      if (sinks === 0) {
        say(ctx.io, opts.url ? 'no events were ever delivered to that URL: nothing to send again' : 'no sink has been delivered to yet: nothing to send again');
        return;
      }
      say(ctx.io, `events from position ${opts.from} on are queued again for ${sinks} sink${sinks === 1 ? '' : 's'}`);
    });
}

async function webhookSinkIdOf(url: string): Promise<string> {
  const { webhookSinkId } = await import('@flashsale/server');
  try {
    return webhookSinkId(url);
  } catch (error) {
    throw new UsageError(`--url: ${(error as Error).message}`);
  }
}

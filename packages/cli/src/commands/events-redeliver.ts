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
  subject?: string;
  json?: boolean;
}

/**
 * `flashsale events:redeliver --from N`: the events from position N on are pushed again to every
 * sink `flashsale serve` has delivered to (or one webhook URL or NATS subject), by the servers' delivery loops. A
 * receiver drops repeats by the event id (its webhook-id), so sending too much is safe.
 */
export function registerEventsRedeliver(program: Command, ctx: CliContext): void {
  program
    .command('events:redeliver')
    .description('push the merchant events from a position on again, to every sink serve delivers to (or one --url or --subject)')
    .addOption(dbOption())
    .addOption(new Option('--from <position>', 'the first event position to send again').argParser(intArg(1)).makeOptionMandatory())
    .addOption(new Option('--url <url>', 'only to this --events-url of serve').conflicts('subject'))
    .addOption(new Option('--subject <subject>', 'only to NATS on this --events-subject of serve'))
    .addOption(new Option('--json', 'print the result as JSON'))
    .addHelpText(
      'after',
      [
        '',
        'Events already delivered or given up (dead) are queued again; events still waiting keep their',
        'place. A running `flashsale serve --events-url …` delivers them; this command only queues.',
        '',
        'Examples:\n  flashsale events:redeliver --from 1\n  flashsale events:redeliver --from 4200 --url https://shop.example/hooks/flashsale\n  flashsale events:redeliver --from 4200 --subject flashsale.events',
      ].join('\n'),
    )
    .action(async (opts: RedeliverOptions) => {
      const sink = opts.url !== undefined ? await sinkIdOf('--url', opts.url) : opts.subject !== undefined ? await sinkIdOf('--subject', opts.subject) : undefined;
      const sinks = await withSale(opts.db, {}, (sale) => sale.redeliverEvents({ from: opts.from, ...(sink === undefined ? {} : { sink }) }));
      if (opts.json) return say(ctx.io, JSON.stringify({ from: opts.from, sinks }));
      if (sinks === 0) {
        say(ctx.io, sink ? `no events were ever delivered to that ${opts.url ? 'URL' : 'subject'}: nothing to send again` : 'no sink has been delivered to yet: nothing to send again');
        return;
      }
      say(ctx.io, `events from position ${opts.from} on are queued again for ${sinks} sink${sinks === 1 ? '' : 's'}`);
    });
}

/** The id serve's queue for a webhook URL or a NATS subject is kept under. */
async function sinkIdOf(flag: '--url' | '--subject', value: string): Promise<string> {
  const { natsSinkId, webhookSinkId } = await import('@flashsale/server');
  try {
    return flag === '--url' ? webhookSinkId(value) : natsSinkId(value);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

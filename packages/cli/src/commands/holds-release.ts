import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { dbOption, durationArg, jsonOption } from '../options.js';
import { printJson, progress, say } from '../output.js';
import { releaseJson } from '../wire.js';
import { withSale } from '../with-sale.js';

/**
 * `flashsale holds:release`: one expiry pass, for cron. Safe next to a running server, its
 * sweeper and other passes: every release is one atomic store call that releases a row only if
 * it is still active (SQLite: one writer at a time; PostgreSQL: SKIP LOCKED).
 */
export function registerHoldsRelease(program: Command, ctx: CliContext): void {
  program
    .command('holds:release')
    .description('release expired holds and unpaid orders past their deadline once, purge old idempotency records and merchant events, and exit')
    .addOption(dbOption())
    .option('--idempotency-ttl <duration>', 'purge idempotency records older than this', durationArg(), 86_400_000)
    .option('--event-retention <duration>', 'purge merchant events older than this', durationArg(), 604_800_000)
    .addOption(jsonOption())
    .addHelpText('after', '\nExamples:\n  flashsale holds:release\n  * * * * * cd /srv/shop && flashsale holds:release --json >> release.log')
    .action(async (opts: { db: string; idempotencyTtl: number; eventRetention: number; json?: boolean }) => {
      const bar = progress(ctx.io);
      let units = 0;
      const summary = await withSale(
        opts.db,
        {
          idempotencyTtlMs: opts.idempotencyTtl,
          eventRetentionMs: opts.eventRetention,
          onEvent: (event) => {
            if (event.type !== 'stock_released') return;
            units += event.units;
            bar.update(`releasing… ${units} units back in stock`);
          },
        },
        (sale) => sale.releaseExpired(),
      ).finally(() => bar.done());
      if (opts.json) {
        printJson(ctx.io, releaseJson(summary));
        return;
      }
      say(
        ctx.io,
        `released ${plural(summary.holds, 'expired hold')} and ${plural(summary.orders, 'unpaid order')} (${plural(summary.units, 'unit')} back in stock); purged ${plural(summary.purgedIdempotency, 'idempotency record')} and ${plural(summary.purgedEvents, 'merchant event')}`,
      );
    });
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

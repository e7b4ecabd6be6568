import { writeFileSync } from 'node:fs';
import type { BenchOptions } from '@flashsale/bench';
// Only the defaults and names, for the options and help: the load generator loads when bench runs.
import { BENCH_DEFAULTS, BENCH_DESCRIPTION, STRATEGIES } from '@flashsale/bench/options';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliError, UsageError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { formatDuration } from '../duration.js';
import { durationArg, intArg, jsonOption } from '../options.js';
import { warn } from '../output.js';
import { redact, registerSecret } from '../redact.js';
import { selfCommand } from '../self-command.js';
import { dbTargetFrom } from '../with-sale.js';

interface BenchFlags {
  engine?: boolean;
  strategy?: BenchOptions['strategy'];
  db?: string;
  target?: string;
  adminToken?: string;
  stock?: number;
  requests?: number;
  concurrency?: number;
  products?: number;
  flowConcurrency?: number;
  qty?: string;
  baseline?: boolean;
  events?: boolean;
  warmup?: number;
  seed?: number;
  synchronous?: 'FULL' | 'NORMAL';
  keepDb?: boolean;
  requestTimeout?: number;
  progress?: boolean;
  json?: boolean;
  html?: string;
  // Drops.
  buyers?: number;
  maxPerBuyer?: number;
  opensIn?: number;
}

/** `flashsale bench`: @flashsale/bench's stampede, with this CLI's own `flashsale serve` as the server. */
export function registerBench(program: Command, ctx: CliContext): void {
  program
    .command('bench')
    .description(BENCH_DESCRIPTION)
    .addOption(new Option('--db <url>', 'storage: SQLite path, sqlite:path, postgres://… or mysql://… (default: a temp SQLite file, deleted after; a fresh schema on PostgreSQL, a fresh database on MySQL)'))
    .addOption(new Option('--stock <n>', `units of the bench product; 0 runs a sold-out stampede (default: ${BENCH_DEFAULTS.stock}; engine mode: ${BENCH_DEFAULTS.engineStock})`).argParser(intArg(0)))
    .addOption(new Option('--requests <n>', `hold attempts to fire (default: ${BENCH_DEFAULTS.requests})`).argParser(intArg(1)))
    .addOption(new Option('--concurrency <n>', `requests in flight at once (default: ${BENCH_DEFAULTS.concurrency})`).argParser(intArg(1)))
    .addOption(new Option('--products <n>', `spread the stampede over n products of --stock units each, each request's drawn at random (default: ${BENCH_DEFAULTS.products})`).argParser(intArg(1)))
    .addOption(new Option('--flow-concurrency <n>', `buyers checking out at once in the checkout wave (default: ${BENCH_DEFAULTS.flowConcurrency})`).argParser(intArg(1)))
    .addOption(new Option('--qty <n|min..max>', `units per hold, fixed or a range like 1..5 (default: ${BENCH_DEFAULTS.qty})`).argParser(qtyArg))
    .addOption(new Option('--target <url>', 'stampede a running server (loopback only) instead of starting one; needs --admin-token and --db'))
    .addOption(new Option('--admin-token <token>', "the target's admin token, to create the bench product").env('FLASHSALE_ADMIN_TOKEN'))
    .addOption(new Option('--engine', 'drive @flashsale/core in-process, without HTTP, to separate database cost from HTTP cost'))
    .addOption(new Option('--strategy <name>', `engine mode: the way(s) to take stock to compare (default: ${BENCH_DEFAULTS.strategy})`).choices([...STRATEGIES, 'all']))
    .addOption(new Option('--baseline', 'also measure a bare Hono handler with the same load generator'))
    .addOption(new Option('--events', 'require the server to push its merchant events to a receiver in the bench, whose audit checks every one arrived, signed, once per change (default: whenever the store has a delivery queue and no --target is given)'))
    .addOption(new Option('--no-events', 'stampede without the server pushing merchant events (the audit still checks the outbox)'))
    .addOption(new Option('--buyers <n>', 'each hold names a buyer drawn from this many').argParser(intArg(1)))
    .addOption(new Option('--max-per-buyer <k>', 'the bench product allows k units per buyer (needs --buyers); checks no buyer got more, from storage').argParser(intArg(1)))
    .addOption(new Option('--opens-in <duration>', 'the sale opens this long after the product is made, the stampede starts at once; checks no hold before the opening and store calls before it < 1% of requests').argParser(durationArg()))
    .addOption(new Option('--warmup <n>', `requests fired before measuring (default: the smaller of ${BENCH_DEFAULTS.warmup} and requests/10)`).argParser(intArg(0)))
    .addOption(new Option('--seed <n>', `seeds the buyers' random choices, so a run can be repeated (default: ${BENCH_DEFAULTS.seed})`).argParser(intArg(0)))
    .addOption(new Option('--synchronous <mode>', `SQLite durability (default: ${BENCH_DEFAULTS.synchronous})`).choices(['FULL', 'NORMAL']))
    .addOption(new Option('--keep-db', 'keep the temp SQLite file, PostgreSQL schema or MySQL database for inspection'))
    .addOption(new Option('--request-timeout <duration>', `abort one HTTP request after this long (default: ${formatDuration(BENCH_DEFAULTS.requestTimeoutMs)})`).argParser(durationArg()))
    .addOption(new Option('--progress', 'draw a progress bar even when not on a terminal'))
    .addOption(new Option('--no-progress', 'never draw a progress bar (default: only on a terminal, outside CI)'))
    .addOption(jsonOption())
    .addOption(new Option('--html <file>', 'also write a self-contained HTML report (latency histogram, throughput over time)'))
    .addHelpText(
      'after',
      [
        '',
        'Exit status: 0 every invariant held, 1 one broke (named in the report) or the run could not happen, 2 bad command line.',
        '',
        'Examples:',
        '  flashsale bench',
        '  flashsale bench --requests 5000 --concurrency 64 --qty 1..5 --html bench.html',
        '  flashsale bench --db postgres://postgres@127.0.0.1/bench --json | jq .holds_per_sec',
        '  flashsale bench --engine --strategy all',
        '  flashsale bench --products 100 --stock 200 --baseline',
        '  flashsale bench --baseline --no-events',
        '  flashsale bench --opens-in 3s --buyers 5000 --max-per-buyer 2 --requests 40000 --baseline',
      ].join('\n'),
    )
    .action((flags: BenchFlags) => runBenchCommand(flags, ctx));
}

function qtyArg(value: string): string {
  if (!/^\d+(\.\.\d+)?$/.test(value.trim())) throw new InvalidArgumentError('expected a positive whole number or a range like 1..5.');
  return value.trim();
}

async function runBenchCommand(flags: BenchFlags, ctx: CliContext): Promise<void> {
  // Parsed here, with the CLI's one-line usage error; the bench takes the parsed target.
  const db = flags.db === undefined ? undefined : dbTargetFrom(flags.db);
  registerSecret(flags.adminToken);
  const { commandLauncher, exitCodeFor, renderHtml, renderJson, renderTable, runBench } = await import('@flashsale/bench');
  const [command, prefix] = selfCommand();
  const options: BenchOptions = {
    ...defined({
      engine: flags.engine,
      strategy: flags.strategy,
      db,
      target: flags.target,
      adminToken: flags.adminToken,
      stock: flags.stock,
      requests: flags.requests,
      concurrency: flags.concurrency,
      products: flags.products,
      flowConcurrency: flags.flowConcurrency,
      qty: flags.qty,
      baseline: flags.baseline,
      events: flags.events,
      warmup: flags.warmup,
      seed: flags.seed,
      synchronous: flags.synchronous,
      keepDb: flags.keepDb,
      requestTimeoutMs: flags.requestTimeout,
      progress: flags.progress,
      buyers: flags.buyers,
      maxPerBuyer: flags.maxPerBuyer,
      opensInMs: flags.opensIn,
    }),
    launchServer: commandLauncher(command, prefix),
    log: (line) => warn(ctx.io, redact(line)),
  };
  let report;
  try {
    report = await runBench(options);
  } catch (error) {
    // The bench names the flag in its RangeErrors ("--qty must be…"): those are usage errors.
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw new CliError(`the bench could not run: ${(error as Error).message}`);
  }
  ctx.io.stdout.write(flags.json ? renderJson(report) : renderTable(report));
  if (flags.html) {
    try {
      writeFileSync(flags.html, renderHtml(report));
    } catch (error) {
      throw new CliError(`cannot write ${flags.html}: ${(error as Error).message}`);
    }
    warn(ctx.io, `HTML report written to ${flags.html}`);
  }
  ctx.exitCode = exitCodeFor(report);
}

/** The object without its undefined fields, so the bench's own defaults apply. */
function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

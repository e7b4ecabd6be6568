import cluster from 'node:cluster';
import type { RunningServer } from '@flashsale/server';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { WORKER_ENV } from '../cluster/messages.js';
import type { CliContext } from '../context.js';
import { formatDuration } from '../duration.js';
import { describeDbTarget, type DbTarget } from '../open-store.js';
import { dbOption, durationArg, intArg } from '../options.js';
import { say, warn } from '../output.js';
import { parseRateLimitSpec } from '../rate-limit-spec.js';
import { registerSecret } from '../redact.js';
import { limiterStoreFor } from '../shared-limiter.js';
import { productLine } from '../wire.js';
import { dbTargetFrom } from '../with-sale.js';

/** The longest delay a Node timer takes (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export interface ServeFlags {
  db: string;
  port: number;
  host: string;
  holdTtl: number;
  paymentTtl: number;
  sweepInterval: number;
  idempotencyTtl: number;
  maxHoldQty: number;
  rateLimit?: string | false;
  webhookSecret?: string;
  adminToken?: string;
  trustProxy?: boolean;
  seed: boolean;
  requestLog: boolean;
  poolSize?: number;
  /** SQLite only; unset means FULL. */
  synchronous?: 'FULL' | 'NORMAL';
  workers: number;
  shutdownTimeout: number;
}

/** `flashsale serve`: the HTTP API, the sweeper, graceful shutdown. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP API (migrates, seeds the demo product on an empty database, sweeps expired holds)')
    .addOption(dbOption())
    .addOption(new Option('--port <n>', 'port to listen on; 0 picks a free one (printed)').env('PORT').argParser(intArg(0, 65_535)).default(8000))
    .addOption(new Option('--host <address>', 'interface to bind; 0.0.0.0 or :: to accept outside connections').env('HOST').default('127.0.0.1'))
    .addOption(new Option('--hold-ttl <duration>', 'how long a hold keeps its stock').argParser(durationArg()).default(120_000, '2m'))
    .addOption(new Option('--payment-ttl <duration>', 'how long a pending order waits for payment').argParser(durationArg()).default(900_000, '15m'))
    .addOption(new Option('--sweep-interval <duration>', 'time between expiry passes').argParser(durationArg(MAX_TIMER_MS)).default(5_000, '5s'))
    .addOption(new Option('--idempotency-ttl <duration>', 'how long idempotency keys are remembered').argParser(durationArg()).default(86_400_000, '24h'))
    .addOption(new Option('--max-hold-qty <n>', 'largest qty one hold may take (an anti-scalping cap)').argParser(intArg(1, 1_000_000)).default(1_000_000))
    .addOption(new Option('--rate-limit <limits>', 'per-client limits per minute, e.g. holds=5,orders=5,webhook=off (defaults: products=100,holds=20,orders=20,webhook=1000)').argParser(rateLimitArg))
    .addOption(new Option('--no-rate-limit', 'turn every rate limit off (benchmarks)'))
    .addOption(new Option('--webhook-secret <secret>', 'Standard Webhooks secret (whsec_…); webhooks must then be signed').env('FLASHSALE_WEBHOOK_SECRET'))
    .addOption(new Option('--admin-token <token>', 'enable the admin API (create products, restock) behind this bearer token').env('FLASHSALE_ADMIN_TOKEN'))
    .addOption(new Option('--trust-proxy', 'take the client address from X-Forwarded-For (only behind your own proxy)'))
    .addOption(new Option('--no-seed', 'do not create the demo product on an empty database'))
    .addOption(new Option('--no-request-log', 'do not log one line per request'))
    .addOption(new Option('--pool-size <n>', 'PostgreSQL connections in the pool of each process (default 10)').argParser(intArg(1, 1_000)))
    .addOption(new Option('--synchronous <mode>', 'SQLite durability: FULL keeps every answered commit through a power cut, NORMAL only through a crash (default: FULL)').choices(['FULL', 'NORMAL']))
    .addOption(new Option('--workers <n>', 'server processes sharing the port (node:cluster); the database and rate limits are shared').argParser(intArg(1, 256)).default(1))
    .addOption(new Option('--shutdown-timeout <duration>', 'on SIGTERM/SIGINT, how long in-flight requests may finish').argParser(durationArg(MAX_TIMER_MS)).default(10_000, '10s'))
    .addHelpText(
      'after',
      [
        '',
        'Prints "flashsale listening on http://HOST:PORT" once it accepts requests; logs are JSON lines',
        'on stdout. SIGTERM or SIGINT stops it gracefully (exit 0); a second signal forces it (exit 1).',
        '',
        'Examples:',
        '  flashsale serve',
        '  flashsale serve --port 0 --db :memory: --no-rate-limit',
        '  flashsale serve --workers 4 --pool-size 8 --db postgres://app:secret@db/shop',
        '  DATABASE_URL=postgres://app:secret@db/shop FLASHSALE_WEBHOOK_SECRET=whsec_… flashsale serve --host 0.0.0.0',
      ].join('\n'),
    )
    .action((flags: ServeFlags) => runServe(flags, ctx));
}

function rateLimitArg(value: string): string {
  try {
    parseRateLimitSpec(value);
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message}.`);
  }
  return value;
}

async function runServe(flags: ServeFlags, ctx: CliContext): Promise<void> {
  const { io } = ctx;
  const target = dbTargetFrom(flags.db);
  flags.webhookSecret = flags.webhookSecret || undefined;
  flags.adminToken = flags.adminToken || undefined;
  registerSecret(flags.webhookSecret);
  registerSecret(flags.adminToken);
  if (flags.webhookSecret) await assertWebhookSecret(flags.webhookSecret);
  if (flags.synchronous && target.kind !== 'sqlite') {
    throw new UsageError("--synchronous is for SQLite; PostgreSQL's durability is its own synchronous_commit setting (on by default)");
  }

  // The HTTP server and what it needs load here, when serve runs, not when the command line is
  // built: `holds:release` from cron must not pay for them.
  if (cluster.isWorker && process.env[WORKER_ENV] === '1') return (await import('../cluster/serve-worker.js')).runWorker(flags, target, ctx);
  if (flags.workers > 1) return runPrimary(flags, target, ctx);

  const { startServer } = await import('../start-server.js');
  const { running, seeded } = await startServer(flags, target, { seed: flags.seed, limiterStore: limiterStoreFor(target, 1) });
  if (seeded) say(io, `seeded the demo ${productLine(seeded)}`);
  startupWarnings(flags, ctx);
  say(io, `flashsale listening on ${running.url}`);
  say(io, summaryLine(flags, target));
  ctx.exitCode = await untilSignal(running, io);
}

/**
 * `--workers N`: this process migrates and seeds once, then forks N workers that each run the
 * server (pool, sweeper and all) on the shared port, and supervises them.
 */
async function runPrimary(flags: ServeFlags, target: DbTarget, ctx: CliContext): Promise<void> {
  const { io } = ctx;
  if (target.kind === 'sqlite' && target.filename === ':memory:') {
    throw new UsageError('--workers: every worker would get its own empty :memory: database; use a SQLite file or postgres://');
  }
  const [{ prepareDatabase }, { superviseWorkers }, { startClusterLimiterPrimary }] = await Promise.all([
    import('../cluster/prepare-database.js'),
    import('../cluster/serve-primary.js'),
    import('@flashsale/server'),
  ]);
  const seeded = await prepareDatabase(flags, target, io);
  if (seeded) say(io, `seeded the demo ${productLine(seeded)}`);
  if (limiterStoreFor(target, flags.workers) === 'cluster' && flags.rateLimit !== false) {
    startClusterLimiterPrimary();
  }
  const { url, stopped } = await superviseWorkers(flags, ctx);
  startupWarnings(flags, ctx);
  say(io, `flashsale listening on ${url}`);
  say(io, summaryLine(flags, target));
  ctx.exitCode = await stopped;
  say(io, 'flashsale stopped');
}

function startupWarnings(flags: ServeFlags, ctx: CliContext): void {
  if (!flags.webhookSecret) {
    warn(
      ctx.io,
      'WARNING: webhooks are unauthenticated: no --webhook-secret / FLASHSALE_WEBHOOK_SECRET is set, so anyone who can reach ' +
        'POST /api/payments/webhook can mark orders paid. Fine for a local demo; never in production.',
    );
  }
  if (flags.adminToken && flags.adminToken.length < 16) warn(ctx.io, 'WARNING: the admin token is shorter than 16 characters: easy to guess.');
}

function summaryLine(flags: ServeFlags, target: DbTarget): string {
  const limits = flags.rateLimit === false ? 'off' : flags.rateLimit ? flags.rateLimit : 'default';
  const store = limiterStoreFor(target, flags.workers);
  const counted = flags.rateLimit === false ? '' : store === 'postgres' ? ' (counted in PostgreSQL)' : store === 'cluster' ? ' (counted by the primary)' : '';
  return [
    `database ${describeDbTarget(target)}${target.kind === 'sqlite' ? ` (synchronous ${flags.synchronous ?? 'FULL'})` : ''}`,
    ...(flags.workers > 1 ? [`${flags.workers} workers`] : []),
    `holds ${formatDuration(flags.holdTtl)}, payment ${formatDuration(flags.paymentTtl)}, sweep every ${formatDuration(flags.sweepInterval)}`,
    `rate limits ${limits}${counted}`,
    `admin API ${flags.adminToken ? 'on' : 'off'}`,
  ].join('; ');
}

/** Waits for SIGTERM or SIGINT, then closes gracefully; a second signal ends the process at once. */
function untilSignal(running: RunningServer, io: CliContext['io']): Promise<number> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const force = (again: NodeJS.Signals) => {
        warn(io, `${again} again: stopping now, without waiting for requests in flight`);
        process.exit(1);
      };
      process.once('SIGTERM', force);
      process.once('SIGINT', force);
      say(io, `${signal}: shutting down (finishing requests in flight)`);
      running.close().then(
        () => {
          say(io, 'flashsale stopped');
          resolve(0);
        },
        (error: unknown) => {
          warn(io, `error: shutdown failed: ${(error as Error).message}`);
          resolve(1);
        },
      ).finally(() => {
        process.off('SIGTERM', force);
        process.off('SIGINT', force);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function assertWebhookSecret(secret: string): Promise<void> {
  const { signWebhook } = await import('@flashsale/server');
  try {
    signWebhook(secret, '');
  } catch {
    throw new UsageError('--webhook-secret: a webhook secret looks like whsec_<base64> (32 random bytes are a good size)');
  }
}

import cluster from 'node:cluster';
import type { LogLevel, RunningServer, ServerLog } from '@flashsale/server';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { WORKER_ENV } from '../cluster/messages.js';
import { describeBuyerIdentity, loadBuyerToken } from '../buyer-token.js';
import type { CliContext } from '../context.js';
import { formatDuration } from '../duration.js';
import { describeDbTarget, type DbTarget } from '../open-store.js';
import { dbOption, durationArg, intArg } from '../options.js';
import { warn } from '../output.js';
import { parseRateLimitSpec } from '../rate-limit-spec.js';
import { registerSecret } from '../redact.js';
import type { ServeFlags } from '../serve-flags.js';
import { limiterStoreFor, type LimiterStore } from '../limiter-store.js';
import { parseTrustProxySpec, TRUST_PROXY_USAGE } from '../trust-proxy-spec.js';
import { productLine } from '../wire.js';
import { dbTargetFrom } from '../with-sale.js';

/** pino's levels, the server's `LogLevel`: listed here so building the command line loads no server code. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const satisfies readonly LogLevel[];

/** The longest delay a Node timer takes (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** `flashsale serve`: the HTTP API, the sweeper, graceful shutdown. */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP API (migrates, seeds the demo product on an empty database, sweeps expired holds)')
    .addOption(dbOption())
    .addOption(new Option('--port <n>', 'port to listen on; 0 picks a free one (printed)').env('PORT').argParser(intArg(0, 65_535)).default(8000))
    .addOption(new Option('--host <address>', 'interface to bind; 0.0.0.0 or :: to accept outside connections').env('HOST').default('127.0.0.1'))
    .addOption(new Option('--hold-ttl <duration>', 'how long a hold keeps its stock').argParser(durationArg()).default(120_000, '2m'))
    .addOption(new Option('--hold-max-lifetime <duration>', 'the latest a buyer may extend a hold to, from its creation (default: 10m, or --hold-ttl when longer)').argParser(durationArg()))
    .addOption(new Option('--payment-ttl <duration>', 'how long a pending order waits for payment').argParser(durationArg()).default(900_000, '15m'))
    .addOption(new Option('--sweep-interval <duration>', 'time between expiry passes').argParser(durationArg(MAX_TIMER_MS)).default(5_000, '5s'))
    .addOption(new Option('--idempotency-ttl <duration>', 'how long idempotency keys are remembered').argParser(durationArg()).default(86_400_000, '24h'))
    .addOption(new Option('--event-retention <duration>', 'how long merchant events are kept before the sweeper purges them').argParser(durationArg()).default(604_800_000, '7d'))
    .addOption(new Option('--events-url <url>', 'push every merchant event to this http(s) URL as a signed POST (repeatable)').argParser(eventsUrlArg).default([], 'none'))
    .addOption(new Option('--events-secret <secret>', 'Standard Webhooks secret (whsec_…) the --events-url deliveries are signed with').env('FLASHSALE_EVENTS_SECRET'))
    .addOption(new Option('--events-nats <servers>', 'publish every merchant event to NATS JetStream on these servers (nats://host:4222, comma-separated)').env('FLASHSALE_EVENTS_NATS'))
    .addOption(new Option('--events-subject <subject>', 'the NATS subject events are published on').default('flashsale.events'))
    .addOption(new Option('--events-max-age <duration>', 'how long an event that cannot be delivered is retried before it is marked dead').argParser(durationArg()).default(86_400_000, '24h'))
    .addOption(new Option('--events-retry-delay <duration>', "the first retry's delay; each next one doubles (with jitter), up to 15m").argParser(durationArg(MAX_TIMER_MS)).default(1_000, '1s'))
    .addOption(new Option('--events-timeout <duration>', 'how long one delivery attempt may take').argParser(durationArg(MAX_TIMER_MS)).default(10_000, '10s'))
    .addOption(new Option('--events-batches <n>', 'batches of up to 64 deliveries each URL or subject may have in flight at once').argParser(intArg(1, 64)).default(4))
    .addOption(new Option('--max-hold-qty <n>', 'largest qty one hold may take (an anti-scalping cap)').argParser(intArg(1, 1_000_000)).default(1_000_000))
    .addOption(new Option('--rate-limit <limits>', 'per-client limits per minute, e.g. holds=5,orders=5,webhook=off (defaults: products=100,holds=20,orders=20,webhook=1000)').argParser(rateLimitArg))
    .addOption(new Option('--no-rate-limit', 'turn every rate limit off (benchmarks)'))
    .addOption(new Option('--webhook-secret <secret>', 'Standard Webhooks secret (whsec_…); webhooks must then be signed').env('FLASHSALE_WEBHOOK_SECRET'))
    .addOption(new Option('--admin-token <token>', 'enable the admin API (create products, restock) behind this bearer token').env('FLASHSALE_ADMIN_TOKEN'))
    .addOption(new Option('--metrics-token <token>', 'GET /metrics then needs this bearer token (default: /metrics is open)').env('FLASHSALE_METRICS_TOKEN'))
    .addOption(new Option('--buyer-jwt-key <file>', "a hold's buyer is then the sub of a verified Authorization: Bearer JWT; the file holds a JWKS, a PEM public key, or an HS256 secret").env('FLASHSALE_BUYER_JWT_KEY'))
    .addOption(new Option('--buyer-jwt-issuer <iss>', 'the iss a buyer JWT must carry').env('FLASHSALE_BUYER_JWT_ISSUER'))
    .addOption(new Option('--buyer-jwt-audience <aud>', 'the aud a buyer JWT must carry').env('FLASHSALE_BUYER_JWT_AUDIENCE'))
    .addOption(new Option('--trust-proxy [proxies]', 'behind your own proxies: how many (1), or their addresses/CIDR ranges (10.0.0.0/8,loopback); the client is the right-most X-Forwarded-For address that is not one of them').argParser(trustProxyArg))
    .addOption(new Option('--no-seed', 'do not create the demo product on an empty database'))
    .addOption(new Option('--no-request-log', 'do not log one line per request'))
    .addOption(new Option('--log-level <level>', 'least severe log lines written').choices(LOG_LEVELS).env('LOG_LEVEL').default('info'))
    .addOption(new Option('--pool-size <n>', 'PostgreSQL or MySQL connections in the pool of each process (default 10)').argParser(intArg(1, 1_000)))
    .addOption(new Option('--synchronous <mode>', 'SQLite durability: FULL keeps every answered commit through a power cut, NORMAL only through a crash (default: FULL)').choices(['FULL', 'NORMAL']))
    .addOption(new Option('--workers <n>', 'server processes sharing the port (node:cluster); the database and rate limits are shared').argParser(intArg(1, 256)).default(1))
    .addOption(new Option('--shutdown-timeout <duration>', 'on SIGTERM/SIGINT, how long in-flight requests may finish').argParser(durationArg(MAX_TIMER_MS)).default(10_000, '10s'))
    .addHelpText(
      'after',
      [
        '',
        'Logs JSON lines (pino) on stdout, written at least every 100 ms: start-up, one line per request,',
        'shutdown. The line {"msg":"flashsale listening on http://HOST:PORT","url":…} says it accepts',
        'requests. SIGTERM or SIGINT stops it gracefully (exit 0); a second signal forces it (exit 1).',
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

/** Collects each --events-url; they are checked when serve runs, so building the command line loads no server code. */
function eventsUrlArg(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function trustProxyArg(value: string): string {
  try {
    parseTrustProxySpec(value);
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
  flags.metricsToken = flags.metricsToken || undefined;
  registerSecret(flags.webhookSecret);
  registerSecret(flags.adminToken);
  registerSecret(flags.metricsToken);
  if (flags.webhookSecret) await assertWebhookSecret(flags.webhookSecret);
  flags.eventsSecret = flags.eventsSecret || undefined;
  registerSecret(flags.eventsSecret);
  if (flags.eventsUrl.length > 0) {
    if (!flags.eventsSecret) throw new UsageError('--events-url needs --events-secret (or FLASHSALE_EVENTS_SECRET): receivers verify every delivery by its signature');
    await assertWebhookSecret(flags.eventsSecret, '--events-secret');
    await assertEventsUrls(flags.eventsUrl);
  } else if (flags.eventsSecret) throw new UsageError('--events-secret signs the deliveries to --events-url: give one or more');
  flags.eventsNats = flags.eventsNats || undefined;
  // A NATS server list may carry a user and password.
  registerSecret(flags.eventsNats);
  if (flags.eventsNats) await assertNatsTarget(flags.eventsNats, flags.eventsSubject);
  // Bare, the flag once meant "believe the left-most X-Forwarded-For", which the client writes.
  if (flags.trustProxy === true) throw new UsageError(`--trust-proxy needs to know your proxies: ${TRUST_PROXY_USAGE}`);
  if (flags.holdMaxLifetime !== undefined && flags.holdMaxLifetime < flags.holdTtl) {
    throw new UsageError(`--hold-max-lifetime (${formatDuration(flags.holdMaxLifetime)}) must be at least --hold-ttl (${formatDuration(flags.holdTtl)})`);
  }
  if (flags.synchronous && target.kind !== 'sqlite') {
    throw new UsageError(`--synchronous is for SQLite; ${target.kind === 'mysql' ? "MySQL's durability is its own innodb_flush_log_at_trx_commit setting (1 by default)" : "PostgreSQL's durability is its own synchronous_commit setting (on by default)"}`);
  }
  // Read here first, so a bad key file is a usage error before any worker starts.
  const buyerToken = await loadBuyerToken(flags);

  // The HTTP server and what it needs load here, when serve runs, not when the command line is
  // built: `holds:release` from cron must not pay for them.
  if (cluster.isWorker && process.env[WORKER_ENV] === '1') return (await import('../cluster/serve-worker.js')).runWorker(flags, target, ctx);
  if (flags.workers > 1) return runPrimary(flags, target, ctx, describeBuyerIdentity(buyerToken));

  const [{ startServer }, { createServerLog }] = await Promise.all([import('../start-server.js'), import('@flashsale/server')]);
  const log = createServerLog({ level: flags.logLevel, output: io.stdout });
  // Listening for signals before the server starts: one sent right after "listening" is a
  // graceful stop, never the default kill.
  const stop = stopSignal(io);
  try {
    const { running } = await startServer(flags, target, { seed: flags.seed, limiterStore: limiterStoreFor(target, 1), log });
    startupWarnings(flags, ctx);
    log.logger.info(summaryLine(flags, target, describeBuyerIdentity(buyerToken)));
    ctx.exitCode = await shutDownOn(stop.signal, running, log, io);
  } finally {
    stop.dispose();
    log.close();
  }
}

/**
 * `--workers N`: this process migrates and seeds once, then forks N workers that each run the
 * server (pool, sweeper and all) on the shared port, and supervises them.
 */
async function runPrimary(flags: ServeFlags, target: DbTarget, ctx: CliContext, buyers: string): Promise<void> {
  const { io } = ctx;
  if (target.kind === 'sqlite' && target.filename === ':memory:') {
    throw new UsageError('--workers: every worker would get its own empty :memory: database; use a SQLite file, postgres:// or mysql://');
  }
  const [{ prepareDatabase }, { superviseWorkers }, { createServerLog, startClusterLimiterPrimary }] = await Promise.all([
    import('../cluster/prepare-database.js'),
    import('../cluster/serve-primary.js'),
    import('@flashsale/server'),
  ]);
  const log = createServerLog({ level: flags.logLevel, output: io.stdout });
  try {
    const seeded = await prepareDatabase(flags, target, io);
    if (seeded) log.logger.info(`seeded the demo ${productLine(seeded)}`);
    if (limiterStoreFor(target, flags.workers) === 'cluster' && flags.rateLimit !== false) {
      startClusterLimiterPrimary();
    }
    const { url, stopped } = await superviseWorkers(flags, ctx, log.logger);
    startupWarnings(flags, ctx);
    log.logger.info({ url }, `flashsale listening on ${url}`);
    log.logger.info(summaryLine(flags, target, buyers));
    ctx.exitCode = await stopped;
    log.logger.info('flashsale stopped');
  } finally {
    log.close();
  }
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
  if (flags.metricsToken && flags.metricsToken.length < 16) warn(ctx.io, 'WARNING: the metrics token is shorter than 16 characters: easy to guess.');
}

const COUNTED_IN: Record<LimiterStore, string> = {
  postgres: ' (counted in PostgreSQL)',
  mysql: ' (counted in MySQL)',
  cluster: ' (counted by the primary)',
  memory: '',
};

function summaryLine(flags: ServeFlags, target: DbTarget, buyers: string): string {
  const limits = flags.rateLimit === false ? 'off' : flags.rateLimit ? flags.rateLimit : 'default';
  const store = limiterStoreFor(target, flags.workers);
  const counted = flags.rateLimit === false ? '' : COUNTED_IN[store];
  return [
    `database ${describeDbTarget(target)}${target.kind === 'sqlite' ? ` (synchronous ${flags.synchronous ?? 'FULL'})` : ''}`,
    ...(flags.workers > 1 ? [`${flags.workers} workers`] : []),
    `holds ${formatDuration(flags.holdTtl)}${flags.holdMaxLifetime === undefined ? '' : ` (extensible to ${formatDuration(flags.holdMaxLifetime)})`}, payment ${formatDuration(flags.paymentTtl)}, sweep every ${formatDuration(flags.sweepInterval)}`,
    `rate limits ${limits}${counted}`,
    `admin API ${flags.adminToken ? 'on' : 'off'}`,
    `/metrics ${flags.metricsToken ? 'behind a token' : 'open'}`,
    buyers,
  ].join('; ');
}

/** The first SIGTERM or SIGINT; from then on a second one ends the process at once. */
function stopSignal(io: CliContext['io']): { signal: Promise<NodeJS.Signals>; dispose(): void } {
  const force = (again: NodeJS.Signals) => {
    warn(io, `${again} again: stopping now, without waiting for requests in flight`);
    process.exit(1);
  };
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (received) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.once('SIGTERM', force);
      process.once('SIGINT', force);
      resolve(received);
    };
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal,
    dispose() {
      for (const listener of [onSignal, force]) {
        process.off('SIGTERM', listener);
        process.off('SIGINT', listener);
      }
    },
  };
}

/** Waits for the stop signal, then closes gracefully (the server logs "flashsale stopped"). */
async function shutDownOn(signal: Promise<NodeJS.Signals>, running: RunningServer, log: ServerLog, io: CliContext['io']): Promise<number> {
  const received = await signal;
  log.logger.info({ signal: received }, `${received}: shutting down (finishing requests in flight)`);
  try {
    await running.close();
    return 0;
  } catch (error) {
    warn(io, `error: shutdown failed: ${(error as Error).message}`);
    return 1;
  }
}

async function assertEventsUrls(urls: readonly string[]): Promise<void> {
  const { parseWebhookUrl } = await import('@flashsale/server');
  for (const url of urls) {
    try {
      parseWebhookUrl(url);
    } catch (error) {
      throw new UsageError(`--events-url: ${(error as Error).message}`);
    }
  }
}

async function assertNatsTarget(servers: string, subject: string): Promise<void> {
  const { parseNatsServers, parseNatsSubject } = await import('@flashsale/server');
  try {
    parseNatsServers(servers);
  } catch (error) {
    throw new UsageError(`--events-nats: ${(error as Error).message}`);
  }
  try {
    parseNatsSubject(subject);
  } catch (error) {
    throw new UsageError(`--events-subject: ${(error as Error).message}`);
  }
}

async function assertWebhookSecret(secret: string, flag = '--webhook-secret'): Promise<void> {
  const { signWebhook } = await import('@flashsale/server');
  try {
    signWebhook(secret, '');
  } catch {
    throw new UsageError(`${flag}: a webhook secret looks like whsec_<base64> (32 random bytes are a good size)`);
  }
}

import type { ServerLauncher } from './server/launcher.js';

/** The ways to take stock that `--engine --strategy` compares. */
export const STRATEGIES = ['pessimistic', 'atomic', 'coalesced'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/**
 * Where a run keeps its data: a parsed `--db`, as the CLI's `parseDbTarget` gives it. On
 * PostgreSQL, no `schema` means a fresh one for the run. On MySQL the URL names the server: a run
 * gets a fresh database beside the named one, except against a running `target`, whose database
 * it is.
 */
export type BenchDatabase =
  | { kind: 'sqlite'; filename: string }
  | { kind: 'postgres'; connectionString: string; schema?: string | undefined }
  | { kind: 'mysql'; uri: string; database: string };

/** How much each hold request asks for: always `min`, or uniformly `min..max`. */
export interface QtyRange {
  min: number;
  max: number;
}

/**
 * Everything `runBench` takes. The CLI maps its flags one to one onto these fields; every field is
 * optional and falls back to {@link BENCH_DEFAULTS}.
 */
export interface BenchOptions {
  /** Drive @flashsale/core in-process instead of over HTTP (`--engine`). */
  engine?: boolean;
  /** Engine mode only: which way(s) to take stock (`--strategy`). Default `all`. */
  strategy?: Strategy | 'all';
  /**
   * Storage (`--db`, parsed by the CLI). Default: a fresh SQLite file in the temp directory,
   * deleted afterwards. On PostgreSQL a run without a named schema gets its own, dropped
   * afterwards unless `keepDb`.
   */
  db?: BenchDatabase;
  /** A running flashsale server to stampede (`--target`) instead of starting one. Needs `adminToken` and `db`. */
  target?: string;
  /** Bearer token of the target's admin API, used to create the bench product (`--admin-token`). */
  adminToken?: string;
  /** The target's Standard Webhooks secret (`whsec_…`), when it checks signatures (`--webhook-secret`). */
  webhookSecret?: string;
  /** Units of stock of the bench product (`--stock`). 0 runs a sold-out stampede. */
  stock?: number;
  /** Hold attempts to fire (`--requests`). */
  requests?: number;
  /** Products the stampede is spread over, `stock` units each; each request's drawn with the seeded random (`--products`). */
  products?: number;
  /** Requests in flight at once (`--concurrency`). */
  concurrency?: number;
  /** Buyers checking out at once in the checkout wave (`--flow-concurrency`). Default: every winner, up to `concurrency`. */
  flowConcurrency?: number;
  /** Units per hold (`--qty`): a number, or a range such as `"1..5"`. */
  qty?: number | string | QtyRange;
  /** Also measure a bare Hono handler with the same load generator (`--baseline`). */
  baseline?: boolean;
  /**
   * Stampede mode: the server pushes its merchant events to a receiver in the bench's process, and
   * the audit waits until each one arrived, signed. Default: whenever it can, that is not with
   * `--target` (a running server pushes where its operator said) nor on a store without a delivery
   * queue, where the audit checks the outbox alone. `true` (`--events`) refuses to run when it
   * cannot push; `false` (`--no-events`) measures without.
   */
  events?: boolean;
  /** How long the audit waits, from the end of the flow, for the receiver to have every event. Default 60 s. */
  eventDeliveryWaitMs?: number;
  /** Requests fired before measuring, to warm up JIT and connections (`--warmup`). */
  warmup?: number;
  /** Seeds the buyers' choices (quantities, who abandons, who pays) so a run can be repeated (`--seed`). */
  seed?: number;
  /** SQLite durability (`--synchronous`). Default FULL, the product's durable default. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Keep the temp SQLite file or the PostgreSQL schema for inspection (`--keep-db`). */
  keepDb?: boolean;
  /** Abort a single HTTP request after this long, in ms. */
  requestTimeoutMs?: number;
  /** Show a progress bar: `auto` (default) draws one only on a TTY outside CI. */
  progress?: boolean | 'auto';
  /**
   * Starts the flashsale server for stampede mode (needed unless `target`): the CLI passes its own
   * `flashsale serve` (`commandLauncher`).
   */
  launchServer?: ServerLauncher;
  /** Where progress notes go (never stdout, which carries the report). Default: stderr. */
  log?: (line: string) => void;
  // Drops: a scheduled sale with a per-buyer limit.
  /** Each hold request names a buyer drawn from this many (`--buyers`). */
  buyers?: number;
  /** The bench product's per-buyer limit (`--max-per-buyer`); needs `buyers`. */
  maxPerBuyer?: number;
  /** The bench product's sale opens this long after it is created; the stampede starts at once (`--opens-in`). */
  opensInMs?: number;
}

/** The defaults of every option, for `--help`. */
export const BENCH_DEFAULTS = {
  strategy: 'all',
  stock: 1_000,
  /** Engine mode's default stock: enough never to run out, so strategies are compared on grants. */
  engineStock: 'requests × max qty',
  requests: 20_000,
  products: 1,
  concurrency: 256,
  flowConcurrency: 'every winner, up to --concurrency',
  qty: '1',
  baseline: false,
  events: 'whenever the server can push',
  eventDeliveryWaitMs: 60_000,
  warmup: 2_000,
  seed: 1,
  synchronous: 'FULL',
  requestTimeoutMs: 10_000,
} as const;

/** One line for `flashsale bench --help`. */
export const BENCH_DESCRIPTION =
  'Stampede a flash sale and prove nothing was oversold, undersold, double-processed or lost (exit 1 names the broken check); report holds/s and latency.';

/** Options with every default applied and every value checked. */
export interface ResolvedBenchOptions {
  engine: boolean;
  strategies: Strategy[];
  db: BenchDatabase | undefined;
  target: string | undefined;
  adminToken: string | undefined;
  webhookSecret: string | undefined;
  stock: number;
  requests: number;
  products: number;
  concurrency: number;
  /** Undefined: every winner at once, up to `concurrency`. */
  flowConcurrency: number | undefined;
  qty: QtyRange;
  baseline: boolean;
  /** Undefined: push whenever the server can. */
  events: boolean | undefined;
  eventDeliveryWaitMs: number;
  warmup: number;
  seed: number;
  synchronous: 'FULL' | 'NORMAL';
  keepDb: boolean;
  requestTimeoutMs: number;
  progress: boolean;
  launchServer: ServerLauncher | undefined;
  log: (line: string) => void;
  // Drops.
  buyers: number | undefined;
  maxPerBuyer: number | undefined;
  opensInMs: number | undefined;
}

/**
 * Applies the defaults and checks every option, throwing a RangeError that names the option.
 *
 * @example resolveBenchOptions({ qty: '1..5', requests: 500 }).qty // { min: 1, max: 5 }
 */
export function resolveBenchOptions(options: BenchOptions = {}): ResolvedBenchOptions {
  const engine = options.engine ?? false;
  const strategy = options.strategy ?? BENCH_DEFAULTS.strategy;
  if (strategy !== 'all' && !STRATEGIES.includes(strategy)) {
    throw new RangeError(`--strategy must be one of ${[...STRATEGIES, 'all'].join(', ')}, got ${JSON.stringify(strategy)}`);
  }
  const qty = parseQty(options.qty ?? BENCH_DEFAULTS.qty);
  const requests = positiveInt('requests', options.requests ?? BENCH_DEFAULTS.requests);
  const concurrency = positiveInt('concurrency', options.concurrency ?? BENCH_DEFAULTS.concurrency);
  const products = positiveInt('products', options.products ?? BENCH_DEFAULTS.products);
  const flowConcurrency = options.flowConcurrency === undefined ? undefined : positiveInt('flowConcurrency', options.flowConcurrency);
  const stock = nonNegativeInt('stock', options.stock ?? (engine ? requests * qty.max : BENCH_DEFAULTS.stock));
  const synchronous = options.synchronous ?? BENCH_DEFAULTS.synchronous;
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new RangeError(`--synchronous must be FULL or NORMAL, got ${JSON.stringify(synchronous)}`);
  if (options.target !== undefined) {
    if (!/^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?\/?$/.test(options.target)) {
      // The bench sends a stampede: it may only ever aim at this machine.
      throw new RangeError(`--target must be a loopback URL such as http://127.0.0.1:8000, got ${JSON.stringify(options.target)}`);
    }
    if (!options.adminToken) throw new RangeError('--target needs --admin-token to create the bench product');
    if (!options.db) throw new RangeError('--target needs --db (the server\'s database) so the bench can audit storage');
  }
  if (engine && options.target) throw new RangeError('--engine runs without HTTP: it cannot take --target');
  if (options.events === true && (engine || options.target)) throw new RangeError('--events needs a server the bench starts: --engine has none, and a --target pushes where its operator told it to');
  const buyers = options.buyers === undefined ? undefined : positiveInt('buyers', options.buyers);
  const maxPerBuyer = options.maxPerBuyer === undefined ? undefined : positiveInt('maxPerBuyer', options.maxPerBuyer);
  const opensInMs = options.opensInMs === undefined ? undefined : positiveInt('opensInMs', options.opensInMs);
  if (maxPerBuyer !== undefined && buyers === undefined) throw new RangeError('--max-per-buyer needs --buyers: a limited product refuses holds that name no buyer');
  if (engine && (buyers !== undefined || opensInMs !== undefined)) throw new RangeError('--buyers, --max-per-buyer and --opens-in are for a stampede over HTTP, not --engine');
  if (engine && (products > 1 || flowConcurrency !== undefined)) throw new RangeError('--products and --flow-concurrency are for a stampede over HTTP, not --engine');
  // The drop checks follow one product's window and limit; a drop over many products is not audited yet.
  if (products > 1 && (buyers !== undefined || opensInMs !== undefined)) throw new RangeError('--products takes no --buyers, --max-per-buyer or --opens-in: the drop checks follow one product');
  const interactive = process.stderr.isTTY === true && !isCi();
  return {
    engine,
    strategies: strategy === 'all' ? [...STRATEGIES] : [strategy],
    db: options.db,
    target: options.target?.replace(/\/$/, ''),
    adminToken: options.adminToken,
    webhookSecret: options.webhookSecret,
    stock,
    requests,
    products,
    concurrency,
    flowConcurrency,
    qty,
    baseline: options.baseline ?? BENCH_DEFAULTS.baseline,
    events: options.events,
    eventDeliveryWaitMs: positiveInt('eventDeliveryWaitMs', options.eventDeliveryWaitMs ?? BENCH_DEFAULTS.eventDeliveryWaitMs),
    warmup: nonNegativeInt('warmup', options.warmup ?? Math.min(BENCH_DEFAULTS.warmup, Math.ceil(requests / 10))),
    seed: nonNegativeInt('seed', options.seed ?? BENCH_DEFAULTS.seed),
    synchronous,
    keepDb: options.keepDb ?? false,
    requestTimeoutMs: positiveInt('requestTimeoutMs', options.requestTimeoutMs ?? BENCH_DEFAULTS.requestTimeoutMs),
    progress: options.progress === undefined || options.progress === 'auto' ? interactive : options.progress,
    launchServer: options.launchServer,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    buyers,
    maxPerBuyer,
    opensInMs,
  };
}

/**
 * Parses `--qty`: `"2"` or `"1..5"` (inclusive).
 *
 * @example parseQty('1..5') // { min: 1, max: 5 }
 */
export function parseQty(value: number | string | QtyRange): QtyRange {
  if (typeof value === 'object') return checkRange(value.min, value.max, JSON.stringify(value));
  const text = String(value).trim();
  const match = /^(\d+)(?:\.\.(\d+))?$/.exec(text);
  if (!match) throw new RangeError(`--qty must be a positive integer or a range like 1..5, got ${JSON.stringify(text)}`);
  const min = Number(match[1]);
  return checkRange(min, match[2] === undefined ? min : Number(match[2]), text);
}

function checkRange(min: number, max: number, text: string): QtyRange {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 1 || max < min) {
    throw new RangeError(`--qty must be a positive integer or a range like 1..5 with min <= max, got ${text}`);
  }
  return { min, max };
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`--${kebab(name)} must be a positive integer, got ${value}`);
  return value;
}

function nonNegativeInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`--${kebab(name)} must be a non-negative integer, got ${value}`);
  return value;
}

function kebab(name: string): string {
  const flag = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  // A duration's field is in ms; its flag takes a duration.
  return flag.endsWith('-ms') ? flag.slice(0, -3) : flag;
}

/** True in CI, where no progress bar is drawn. */
function isCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

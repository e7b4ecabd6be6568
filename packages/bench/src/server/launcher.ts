/** What the bench needs from a flashsale server it starts for a stampede. */
export interface ServerLaunchOptions {
  /** The `--db` value for the server: a SQLite path or `postgres://…?schema=…`. */
  db: string;
  /** Bearer token of the admin API, so the bench can create its product. */
  adminToken: string;
  holdTtlMs: number;
  /** How far a buyer may extend a hold, from its creation (`--hold-max-lifetime`). */
  holdMaxLifetimeMs: number;
  paymentTtlMs: number;
  sweepIntervalMs: number;
  /** Push every merchant event to this receiver (`--events-url`, `--events-secret`). */
  events?: { url: string; secret: string } | undefined;
}

/** A server started for a run. `close()` stops it and waits for the process to end. */
export interface LaunchedServer {
  /** Such as http://127.0.0.1:41234. */
  readonly url: string;
  close(): Promise<void>;
  /** When the process ended before `close()` was called: how (exit code or signal) and its last lines of output. */
  died?(): string | undefined;
}

/**
 * Starts a flashsale server in its own process for a stampede. The CLI passes one that runs its
 * own `flashsale serve` (see `commandLauncher`); the bench has no server of its own.
 */
export type ServerLauncher = (options: ServerLaunchOptions) => Promise<LaunchedServer>;

/**
 * The `flashsale serve` arguments for a bench server: loopback, a free port, rate limits off (the
 * stampede comes from one client address), and the given TTLs.
 *
 * @example serveArgs({ db: 'b.db', adminToken: 't', holdTtlMs: 120000, holdMaxLifetimeMs: 600000, paymentTtlMs: 900000, sweepIntervalMs: 5000 })
 * // ['serve', '--db', 'b.db', '--port', '0', '--host', '127.0.0.1', '--no-rate-limit', ...]
 */
export function serveArgs(options: ServerLaunchOptions): string[] {
  return [
    'serve',
    '--db', options.db,
    '--port', '0',
    '--host', '127.0.0.1',
    '--no-rate-limit',
    '--admin-token', options.adminToken,
    '--hold-ttl', `${options.holdTtlMs}ms`,
    '--hold-max-lifetime', `${options.holdMaxLifetimeMs}ms`,
    '--payment-ttl', `${options.paymentTtlMs}ms`,
    '--sweep-interval', `${options.sweepIntervalMs}ms`,
    ...(options.events ? ['--events-url', options.events.url, '--events-secret', options.events.secret] : []),
  ];
}

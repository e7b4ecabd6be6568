import type { LogLevel } from '@flashsale/server';

/**
 * The options of `flashsale serve`, as commander parsed them. Its own module: the command and the
 * code it loads when it runs (start-server.ts, cluster/*) both read them, and the command imports
 * that code, so the type cannot live in either without an import cycle.
 */
export interface ServeFlags {
  db: string;
  port: number;
  host: string;
  holdTtl: number;
  // Hold lifecycle: unset means the engine's default (10 minutes, or --hold-ttl when longer).
  holdMaxLifetime?: number;
  paymentTtl: number;
  sweepInterval: number;
  idempotencyTtl: number;
  // Events for the merchant: how long the sweeper keeps them, and where they are pushed.
  eventRetention: number;
  /** Outbound webhook URLs (the flag is repeatable). */
  eventsUrl: string[];
  eventsSecret?: string;
  /** A NATS server list, such as nats://127.0.0.1:4222. */
  eventsNats?: string;
  eventsSubject: string;
  eventsMaxAge: number;
  eventsRetryDelay: number;
  eventsTimeout: number;
  /** Batches of deliveries each sink may have in flight at once. */
  eventsBatches: number;
  maxHoldQty: number;
  rateLimit?: string | false;
  webhookSecret?: string;
  adminToken?: string;
  metricsToken?: string;
  /** The proxies spec as given (see trust-proxy-spec.ts); `true` when the flag came without one. */
  trustProxy?: string | true;
  seed: boolean;
  requestLog: boolean;
  logLevel: LogLevel;
  poolSize?: number;
  /** SQLite only; unset means FULL. */
  synchronous?: 'FULL' | 'NORMAL';
  workers: number;
  shutdownTimeout: number;
  // Drops: the buyer from a verified JWT.
  /** A file: a JWKS, a PEM public key, or an HS256 secret. */
  buyerJwtKey?: string;
  buyerJwtIssuer?: string;
  buyerJwtAudience?: string;
}

import type { FlashSale } from '@flashsale/core';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { pino, type Logger } from 'pino';
import { docsRoutes, OPENAPI_PATH } from './api-docs/docs-routes.js';
import { buyerTokenVerifier, type BuyerTokenOptions } from './buyer-token.js';
import { registerOpenApiDocument } from './api-docs/openapi-document.js';
import type { AppEnv } from './env.js';
import { bearerAuth, type GuessLimit } from './middleware/bearer-auth.js';
import { errorHandler, notFoundHandler } from './middleware/error-handler.js';
import { observeRequests } from './middleware/observe-requests.js';
import { rateLimit } from './middleware/rate-limit.js';
import { validationHook } from './middleware/validation-hook.js';
import { webhookSignature } from './middleware/webhook-signature.js';
import { bodyLimit, DEFAULT_MAX_BODY_BYTES } from './node-http/body-limit.js';
import { clientAddress, type ClientKey, type TrustProxy } from './node-http/client-address.js';
import { LOG_REDACTION } from './observability/log-redaction.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { loggerLineWriter, type RequestLineWriter } from './observability/request-log.js';
import { assertPositiveInteger } from './positive-integer.js';
import type { LimiterFactory, RateLimitPolicy } from './rate-limit/limiter.js';
import { memoryLimiter } from './rate-limit/memory-limiter.js';
import { adminEventRoutes } from './routes/admin-events.js';
import { adminRoutes } from './routes/admin.js';
import { holdLifecycleRoutes } from './routes/hold-lifecycle.js';
import { holdRoutes } from './routes/holds.js';
import { opsRoutes } from './routes/ops.js';
import { orderRoutes } from './routes/orders.js';
import { paymentRoutes } from './routes/payments.js';
import { productRoutes } from './routes/products.js';

/** The routes that carry a per-client rate limit. */
export type RateLimitedRoute = 'products' | 'holds' | 'orders' | 'webhook';

/** The seed's limits: requests per client per minute. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitedRoute, number>> = { products: 100, holds: 20, orders: 20, webhook: 1000 };

/** Failed admin-token attempts per client per window, by default. */
export const DEFAULT_ADMIN_FAILURES = 5;

export interface RateLimitOptions {
  /** Requests per client per window, per route; `false` turns one route's limit off. Defaults: {@link DEFAULT_RATE_LIMITS}. */
  limits?: Partial<Record<RateLimitedRoute, number | false>>;
  /**
   * Failed admin-token attempts per client per window before every admin request of that client
   * is 429 until the window ends. Default {@link DEFAULT_ADMIN_FAILURES}; `false` turns it off.
   * Counted by `createLimiter`, like the route limits.
   */
  adminFailures?: number | false;
  /** The window in seconds. Default 60. */
  windowSec?: number;
  /**
   * Builds each route's limiter. Default: rate-limiter-flexible's RateLimiterMemory, which counts
   * per process. With several server processes, return a limiter on a shared store
   * (RateLimiterPostgres, RateLimiterRedis...) so the limit holds across all of them.
   */
  createLimiter?: LimiterFactory;
}

export interface AppOptions {
  /** The engine, from `createFlashSale`. Pass `metrics.onEvent` as its `onEvent` to count holds and releases. */
  engine: FlashSale;
  /** Prometheus metrics served at /metrics. Default: a fresh {@link createMetrics}(). `false`: no /metrics. */
  metrics?: Metrics | false;
  /** A pino logger, or `false` for silence. Default: pino at level info, to stdout. */
  logger?: Logger | false;
  /** One log line per request. Default true; turn off for benchmarks. */
  requestLog?: boolean;
  /** How request lines are written. Default: through `logger`. `serve()` writes them straight to its log's destination. */
  requestLogWriter?: RequestLineWriter;
  /** Per-client limits; `false` turns all off (benchmarks). */
  rateLimit?: RateLimitOptions | false;
  /**
   * The proxies in front of the server, trusted to append the client's address to X-Forwarded-For:
   * a number of hops, addresses and CIDR ranges (or `loopback`, `linklocal`, `uniquelocal`), or a
   * function (see {@link TrustProxy}). The client is then the right-most address that is not a
   * trusted proxy. Default `false`: the socket's peer, the header ignored.
   */
  trustProxy?: TrustProxy;
  /** Overrides how a client is identified for rate limits (default: {@link clientAddress}). */
  clientKey?: ClientKey;
  /** Standard Webhooks secret (`whsec_...`). When set, unsigned or badly signed webhooks get 401. */
  webhookSecret?: string;
  /** Enables the admin API behind `Authorization: Bearer <token>`. Unset: the admin API is 404. */
  adminToken?: string;
  /**
   * When set, GET /metrics needs `Authorization: Bearer <token>` (401 otherwise), for /metrics
   * reachable beyond the scraper's network. Unset (or empty): /metrics is open, as scrapes usually are.
   */
  metricsToken?: string;
  /** Largest accepted request body. Default 16 KiB. */
  maxBodyBytes?: number;
  /** Serve /openapi.json and the /docs page (Swagger UI from this server's own files, no network needed). Default true. */
  docs?: boolean;
  /** How long /readyz waits for storage. Default 2000 ms. */
  readyTimeoutMs?: number;
  // Drops.
  /**
   * When set, a hold's buyer is the `sub` of a JWT verified with this key (signature, exp, nbf,
   * and the issuer and audience when given), sent as `Authorization: Bearer <token>`: missing or
   * invalid is 401 `buyer_unauthorized`, a body `buyer_id` other than `sub` 403 `buyer_mismatch`.
   * Unset: the caller names the buyer in `buyer_id` (a merchant's backend calling the API).
   */
  buyerToken?: BuyerTokenOptions;
}

/**
 * Builds the flashsale HTTP API as a Hono app: mount it in another app, call `app.request()` in
 * tests, or run it with {@link serve}.
 *
 * @example
 * const metrics = createMetrics();
 * const engine = createFlashSale({ store: openSqliteStore({ filename: 'shop.db' }), onEvent: metrics.onEvent });
 * const app = createApp({ engine, metrics, webhookSecret: process.env.FLASHSALE_WEBHOOK_SECRET });
 * const res = await app.request('/api/products/1');
 */
export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const { engine } = options;
  const logger = options.logger === false ? undefined : (options.logger ?? pino({ redact: LOG_REDACTION }));
  const metrics = options.metrics === false ? undefined : (options.metrics ?? createMetrics());
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const body = bodyLimit(maxBodyBytes);
  // Built even with rate limits off, so a bad trustProxy is refused at start-up all the same.
  const clientKey = options.clientKey ?? clientAddress({ trustProxy: options.trustProxy ?? false });
  const limit = rateLimiters(options, clientKey, logger);

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(errorHandler({ logger }));
  app.notFound(notFoundHandler);
  const log = logger && options.requestLog !== false ? (options.requestLogWriter ?? loggerLineWriter(logger)) : undefined;
  if (log || metrics) app.use('*', observeRequests({ log, metrics }));

  const signed = options.webhookSecret !== undefined && options.webhookSecret !== '';
  // One limiter per limit, shared by every route it counts: releases and extensions count with
  // orders, reads of a hold or an order with products.
  const productsLimit = limit('products');
  const holdsLimit = limit('holds');
  const ordersLimit = limit('orders');
  app.route('/', productRoutes({ engine, guards: productsLimit }));
  const buyerToken = options.buyerToken ? buyerTokenVerifier(options.buyerToken) : undefined;
  app.route('/', holdRoutes({ engine, guards: holdsLimit, maxBodyBytes, buyerToken }));
  app.route('/', orderRoutes({ engine, guards: [...ordersLimit, body], readGuards: productsLimit, maxBodyBytes }));
  app.route('/', holdLifecycleRoutes({ engine, writeGuards: [...ordersLimit, body], readGuards: productsLimit, maxBodyBytes }));
  app.route('/', paymentRoutes({
    engine,
    signed,
    maxBodyBytes,
    guards: [...limit('webhook'), body, ...(signed ? [webhookSignature({ secret: options.webhookSecret! })] : [])],
  }));
  if (options.adminToken) {
    const auth = bearerAuth({ token: options.adminToken, name: 'admin', guessLimit: adminGuessLimit(options, clientKey, logger) });
    app.route('/', adminRoutes({ engine, guards: [auth, body], maxBodyBytes }));
    // Events for the merchant: the pull side of the outbox.
    app.route('/', adminEventRoutes({ engine, guards: [auth] }));
  }
  const metricsAuth = options.metricsToken ? bearerAuth({ token: options.metricsToken, name: 'metrics' }) : undefined;
  app.route('/', opsRoutes({ engine, metrics, metricsAuth, logger, readyTimeoutMs: options.readyTimeoutMs ?? 2_000 }));

  if (options.docs !== false) {
    registerOpenApiDocument(app, OPENAPI_PATH, { admin: Boolean(options.adminToken) });
    app.route('/', docsRoutes());
  }
  return app;
}

/** Returns, per route, its rate-limit middleware (none when that limit is off). */
function rateLimiters(options: AppOptions, clientKey: ClientKey, logger: Logger | undefined): (route: RateLimitedRoute) => MiddlewareHandler<AppEnv>[] {
  const settings = options.rateLimit;
  if (settings === false) return () => [];
  const create = settings?.createLimiter ?? memoryLimiter;
  return (route) => {
    const policy = limitPolicy(settings, route, settings?.limits?.[route] ?? DEFAULT_RATE_LIMITS[route]);
    return policy ? [rateLimit({ policy, limiter: create(policy), clientKey, logger })] : [];
  };
}

/** The failed-token limit of the admin API, counted where the route limits are; none when off. */
function adminGuessLimit(options: AppOptions, clientKey: ClientKey, logger: Logger | undefined): GuessLimit | undefined {
  const settings = options.rateLimit;
  if (settings === false) return undefined;
  const policy = limitPolicy(settings, 'admin-auth', settings?.adminFailures ?? DEFAULT_ADMIN_FAILURES);
  if (!policy) return undefined;
  return { policy, limiter: (settings?.createLimiter ?? memoryLimiter)(policy), clientKey, logger };
}

function limitPolicy(settings: RateLimitOptions | undefined, name: string, points: number | false): RateLimitPolicy | undefined {
  if (points === false) return undefined;
  assertPositiveInteger(`rate limit for ${name}`, points);
  return { name, points, durationSec: settings?.windowSec ?? 60 };
}

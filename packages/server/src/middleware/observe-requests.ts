import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { routeLabel } from '../node-http/route-label.js';
import type { Metrics } from '../observability/metrics.js';
import type { RequestLineWriter } from '../observability/request-log.js';

/**
 * Watches every request once, for the request log and the metrics: its method, route pattern,
 * status and duration. One middleware for both, since every layer of middleware costs a promise
 * and a clock read per request, and a stampede is nothing but requests.
 *
 * @example app.use('*', observeRequests({ log: loggerLineWriter(pino()), metrics: createMetrics() }))
 */
export function observeRequests(options: { log?: RequestLineWriter | undefined; metrics?: Metrics | undefined }): MiddlewareHandler<AppEnv> {
  const { log, metrics } = options;
  return async (c, next) => {
    const start = performance.now();
    await next();
    const ms = performance.now() - start;
    const method = c.req.method;
    const route = routeLabel(c);
    const status = c.res.status;
    metrics?.observeRequest(method, route, status, ms / 1000);
    log?.({ method, route, status, ms: Math.round(ms * 100) / 100, code: c.get('problemCode') }, status >= 500 ? 'error' : 'info');
  };
}

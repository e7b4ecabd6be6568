import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';
import { routeLabel } from '../route-label.js';

/**
 * Counts every request and its latency by method, route pattern and status.
 *
 * @example app.use('*', requestMetrics(metrics))
 */
export function requestMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    metrics.observeRequest(c.req.method, routeLabel(c), c.res.status, (performance.now() - start) / 1000);
  };
}

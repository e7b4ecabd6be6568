import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../env.js';
import { routeLabel } from '../route-label.js';

/**
 * One structured line per request: method, route pattern, status, duration in ms, and the
 * problem code when the answer was an error. Deliberately nothing else: no body, no query, no
 * headers, so hold tokens, signatures and the admin token can never reach the log.
 *
 * @example app.use('*', requestLog(pino()))
 */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const status = c.res.status;
    const line = {
      method: c.req.method,
      route: routeLabel(c),
      status,
      ms: Math.round((performance.now() - start) * 100) / 100,
      code: c.get('problemCode'),
    };
    if (status >= 500) logger.error(line, 'request');
    else logger.info(line, 'request');
  };
}

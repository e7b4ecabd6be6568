import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { HttpProblem } from '../problems/http-problem.js';

/**
 * Bearer-token auth for the admin routes. Both tokens are hashed first so the comparison is
 * constant-time whatever their lengths; the token never appears in an answer or a log.
 *
 * @example admin.use('*', adminAuth({ token: process.env.FLASHSALE_ADMIN_TOKEN! }))
 */
export function adminAuth(options: { token: string }): MiddlewareHandler<AppEnv> {
  if (!options.token) throw new TypeError('adminAuth needs a non-empty token');
  const expected = digest(options.token);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1]!), expected)) {
      throw new HttpProblem('unauthorized', 'The admin API needs Authorization: Bearer <admin token>.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="flashsale-admin"' },
      });
    }
    return next();
  };
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

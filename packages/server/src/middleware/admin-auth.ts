import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import { requestHeader } from '../node-request.js';
import { HttpProblem } from '../problems/http-problem.js';
import { secretMatcher } from '../secret-match.js';

/**
 * Bearer-token auth for the admin routes. The token is compared in constant time
 * ({@link secretMatcher}) and never appears in an answer or a log. The scheme name is
 * case-insensitive (RFC 7235); the token is not.
 *
 * @example admin.use('*', adminAuth({ token: process.env.FLASHSALE_ADMIN_TOKEN! }))
 */
export function adminAuth(options: { token: string }): MiddlewareHandler<AppEnv> {
  // A token with a space, a control character or non-ASCII can never arrive intact in a Bearer
  // header, so the admin API would be locked for good: say so at start-up instead.
  if (!/^[\x21-\x7e]+$/.test(options.token ?? '')) {
    throw new TypeError('The admin token must be 1 or more visible ASCII characters (no spaces), as a Bearer token is.');
  }
  const matches = secretMatcher(options.token);
  return async (c, next) => {
    const header = requestHeader(c, 'authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match || !matches(match[1]!)) {
      throw new HttpProblem('unauthorized', 'The admin API needs Authorization: Bearer <admin token>.', {
        headers: { 'WWW-Authenticate': 'Bearer realm="flashsale-admin"' },
      });
    }
    return next();
  };
}

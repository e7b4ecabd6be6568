import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../env.js';
import type { ClientKey } from '../node-http/client-address.js';
import { requestHeader } from '../node-http/node-request.js';
import { HttpProblem } from '../problems/http-problem.js';
import { isLimiterResult, type RateLimiterLike, type RateLimitPolicy } from '../rate-limit/limiter.js';
import { secretMatcher } from '../secret-match.js';
import { rateLimited } from './rate-limit.js';

/** How many failed token attempts a client gets per window before it is refused. */
export interface GuessLimit {
  policy: RateLimitPolicy;
  limiter: RateLimiterLike;
  clientKey: ClientKey;
  /** Told when the limiter itself fails (its store is down); the request is then checked as usual. */
  logger?: Logger | undefined;
}

interface BearerAuthOptions {
  token: string;
  /** What the token guards, in messages and the realm: `admin` (the admin API), `metrics` (/metrics). */
  name: 'admin' | 'metrics';
  guessLimit?: GuessLimit | undefined;
}

const GUARDS: Record<BearerAuthOptions['name'], string> = { admin: 'The admin API', metrics: '/metrics' };

/**
 * Bearer-token auth (the admin routes, /metrics when it has a token). The token is compared in
 * constant time ({@link secretMatcher}) and never appears in an answer or a log. The scheme name
 * is case-insensitive (RFC 7235); the token is not. Anything else is 401 with WWW-Authenticate.
 *
 * With `guessLimit`, each client has `policy.points` failed attempts per window: every request is
 * charged one point before its token is looked at, and a right token gets its point back. So a
 * client past its limit gets 429 whatever it sends (its next guess is never tried, however many
 * it sends at once), while other clients, the real admin among them, are not affected.
 *
 * @example admin.use('*', bearerAuth({ token: process.env.FLASHSALE_ADMIN_TOKEN!, name: 'admin' }))
 */
export function bearerAuth(options: BearerAuthOptions): MiddlewareHandler<AppEnv> {
  // A token with a space, a control character or non-ASCII can never arrive intact in a Bearer
  // header, so what it guards would be locked for good: say so at start-up instead.
  if (!/^[\x21-\x7e]+$/.test(options.token ?? '')) {
    throw new TypeError(`The ${options.name} token must be 1 or more visible ASCII characters (no spaces), as a Bearer token is.`);
  }
  const matches = secretMatcher(options.token);
  const limit = options.guessLimit;
  const refusal = `${GUARDS[options.name]} needs Authorization: Bearer <${options.name} token>.`;
  const challenge = `Bearer realm="flashsale-${options.name}"`;
  return async (c, next) => {
    const key = limit?.clientKey(c);
    const charged = limit && key !== undefined ? await charge(limit, key, options.name) : false;
    const header = requestHeader(c, 'authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match || !matches(match[1]!)) {
      throw new HttpProblem('unauthorized', refusal, { headers: { 'WWW-Authenticate': challenge } });
    }
    if (charged) await limit!.limiter.reward?.(key!, 1).catch(() => {});
    return next();
  };
}

/**
 * Charges the client one attempt. Throws the 429 when it has none left; resolves true once
 * charged, false when the limiter's store failed (the request is then let through to the check,
 * as every other limit fails open).
 */
async function charge(limit: GuessLimit, key: string, name: BearerAuthOptions['name']): Promise<boolean> {
  try {
    await limit.limiter.consume(key, 1);
    return true;
  } catch (rejection) {
    if (!isLimiterResult(rejection)) {
      limit.logger?.warn({ err: rejection, policy: limit.policy.name }, `rate limiter failed; ${name} request checked without it`);
      return false;
    }
    const { points, durationSec } = limit.policy;
    throw rateLimited(limit.policy, rejection, `Too many failed ${name}-token attempts: at most ${points} per ${durationSec} s.`);
  }
}

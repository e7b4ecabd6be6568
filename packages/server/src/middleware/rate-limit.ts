import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../env.js';
import type { ClientKey } from '../node-http/client-address.js';
import { HttpProblem } from '../problems/http-problem.js';
import { isLimiterResult, type RateLimiterLike, type RateLimitPolicy, type RateLimitState } from '../rate-limit/limiter.js';

interface RateLimitMiddlewareOptions {
  policy: RateLimitPolicy;
  limiter: RateLimiterLike;
  clientKey: ClientKey;
  /** Told when the limiter itself fails (its store is down); the request is then let through. */
  logger?: Logger | undefined;
}

/**
 * Counts the request against its client's budget before anything else runs, so a limited request
 * reads no body and takes no stock. Every answer carries the IETF draft headers
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "holds";q=20;w=60` and
 * `RateLimit: "holds";r=19;t=60`; a refusal is 429 with Retry-After.
 *
 * When the limiter's store fails, the request goes through (fail open) and a warning is logged: a
 * sale should not stop because its limiter's database hiccupped. Use rate-limiter-flexible's
 * `insuranceLimiter` for a memory fallback instead.
 *
 * @example app.post('/api/holds', rateLimit({ policy, limiter: memoryLimiter(policy), clientKey }), handler)
 */
export function rateLimit(options: RateLimitMiddlewareOptions): MiddlewareHandler<AppEnv> {
  const { policy, limiter, clientKey, logger } = options;
  const policyHeader = `"${policy.name}";q=${policy.points};w=${policy.durationSec}`;
  const rateHeader = (state: RateLimitState) =>
    `"${policy.name}";r=${Math.max(0, state.remainingPoints)};t=${Math.max(0, Math.ceil(state.msBeforeNext / 1000))}`;

  return async (c, next) => {
    let state: RateLimitState;
    try {
      state = await limiter.consume(clientKey(c));
    } catch (rejection) {
      if (!isLimiterResult(rejection)) {
        logger?.warn({ err: rejection, policy: policy.name }, 'rate limiter failed; request let through');
        return next();
      }
      throw rateLimited(policy, rejection, `Too many requests: at most ${policy.points} per ${policy.durationSec} s.`);
    }
    c.header('RateLimit-Policy', policyHeader);
    c.header('RateLimit', rateHeader(state));
    return next();
  };
}

/** The 429 for a client over `policy`, saying why and when to retry, with the draft's headers. */
export function rateLimited(policy: RateLimitPolicy, state: RateLimitState, why: string): HttpProblem {
  const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  return new HttpProblem('rate_limited', `${why} Retry in ${retryAfter} s.`, {
    headers: {
      'Retry-After': String(retryAfter),
      'RateLimit-Policy': `"${policy.name}";q=${policy.points};w=${policy.durationSec}`,
      RateLimit: `"${policy.name}";r=0;t=${retryAfter}`,
    },
  });
}

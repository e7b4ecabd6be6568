/** One route's limit: `points` requests per client per `durationSec`. */
export interface RateLimitPolicy {
  /** The policy name in the RateLimit headers, and a good key prefix: `products`, `holds`... */
  name: string;
  points: number;
  durationSec: number;
}

/** What a rate-limiter-flexible result looks like (RateLimiterRes). */
export interface RateLimitState {
  remainingPoints: number;
  msBeforeNext: number;
}

/**
 * Any rate-limiter-flexible limiter (RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis,
 * RateLimiterCluster, RateLimiterUnion...): it resolves when the request may go on and rejects
 * with a result when the client is over its limit.
 */
export interface RateLimiterLike {
  consume(key: string, points?: number): Promise<RateLimitState>;
  /** Gives points back. Used to refund an admin request charged before its token was checked. */
  reward?(key: string, points?: number): Promise<unknown>;
}

/** Builds the limiter of one policy. The seam for a shared store across server processes. */
export type LimiterFactory = (policy: RateLimitPolicy) => RateLimiterLike;

/** A limiter rejects with its result when over the limit, and with an Error when its store fails. */
export function isLimiterResult(value: unknown): value is RateLimitState {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as RateLimitState).msBeforeNext === 'number' &&
    typeof (value as RateLimitState).remainingPoints === 'number'
  );
}

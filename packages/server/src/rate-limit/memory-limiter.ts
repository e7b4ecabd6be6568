import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { LimiterFactory } from './limiter.js';

/**
 * The default: counts in this process's memory. Fine for one process, N times too lenient for N.
 *
 * @example const limiter = memoryLimiter({ name: 'holds', points: 20, durationSec: 60 });
 */
export const memoryLimiter: LimiterFactory = (policy) =>
  new RateLimiterMemory({ points: policy.points, duration: policy.durationSec, keyPrefix: `flashsale:${policy.name}` });

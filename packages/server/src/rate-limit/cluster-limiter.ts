import cluster from 'node:cluster';
import { RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { assertPositiveInteger } from '../positive-integer.js';
import type { LimiterFactory, RateLimitPolicy } from './limiter.js';

/**
 * Call once in the node:cluster primary, before forking: it holds the counts of every
 * {@link clusterLimiter} in the workers, so a limit holds across all of them. Idempotent.
 *
 * @example
 * if (cluster.isPrimary) { startClusterLimiterPrimary(); cluster.fork(); cluster.fork(); }
 */
export function startClusterLimiterPrimary(): void {
  if (!cluster.isPrimary) throw new Error('startClusterLimiterPrimary() runs in the cluster primary');
  // rate-limiter-flexible keeps one instance per process; constructing it again returns it.
  new RateLimiterClusterMaster();
}

export interface ClusterLimiterOptions {
  /**
   * How long a worker waits for the primary's answer, in ms. Default 1000. Past it, the worker
   * counts the request in its own memory (the primary is busy or gone): limits then hold per
   * process rather than stalling requests.
   */
  timeoutMs?: number;
}

/**
 * A {@link LimiterFactory} for node:cluster workers on one host without a shared database (the
 * SQLite default): each request is counted by the primary over the cluster's IPC channel
 * (rate-limiter-flexible's `RateLimiterCluster`), so N workers allow the limit once, not N times.
 * Needs {@link startClusterLimiterPrimary} in the primary.
 *
 * @example
 * const app = createApp({ engine, rateLimit: { createLimiter: clusterLimiter() } });
 */
export function clusterLimiter(options: ClusterLimiterOptions = {}): LimiterFactory {
  if (!cluster.isWorker) throw new Error('clusterLimiter() runs in a node:cluster worker');
  const timeoutMs = options.timeoutMs ?? 1_000;
  assertPositiveInteger('timeoutMs', timeoutMs);
  return (policy: RateLimitPolicy) => {
    const common = { points: policy.points, duration: policy.durationSec, keyPrefix: `flashsale:${policy.name}` };
    // The cluster limiter's own timeout rejects with an Error (which the middleware lets through);
    // the wrapper answers from memory first.
    const shared = new RateLimiterCluster({ ...common, timeoutMs: timeoutMs * 5 });
    return new RLWrapperTimeouts({ keyPrefix: common.keyPrefix, limiter: shared, timeoutMs, insuranceLimiter: new RateLimiterMemory(common) });
  };
}

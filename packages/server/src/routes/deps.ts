import type { FlashSale } from '@flashsale/core';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';

/** What a resource's routes need from the app: the engine and the route's guard middleware. */
export interface RouteDeps {
  engine: FlashSale;
  /** Runs before validation, in order: rate limit, body limit, signature... */
  guards: MiddlewareHandler<AppEnv>[];
}

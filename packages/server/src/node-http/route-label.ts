import type { Context } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { AppEnv } from '../env.js';

/**
 * The route pattern that answered a request (`/api/products/:id`), or `unmatched`: a bounded
 * label for logs and metrics, never the raw path (ids would explode metric cardinality).
 * Read once per request, after the handlers ran (observeRequests).
 */
export function routeLabel(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  let label = 'unmatched';
  // Middleware registered with use() has method ALL; the last route with a real method handled it.
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i]!;
    if (route.method !== 'ALL') {
      label = route.path;
      break;
    }
  }
  return label;
}

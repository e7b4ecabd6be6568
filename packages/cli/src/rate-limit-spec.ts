import type { RateLimitedRoute } from '@flashsale/server';

const ROUTES: readonly RateLimitedRoute[] = ['products', 'holds', 'orders', 'webhook'];

/**
 * Parses `--rate-limit` overrides: comma-separated `route=n` pairs, where route is one of
 * products, holds, orders, webhook and n is requests per client per minute, or `off`. Routes not
 * named keep their defaults (100, 20, 20, 1000). Throws a `RangeError` naming the bad part.
 *
 * @example parseRateLimitSpec('holds=5,webhook=off') // { holds: 5, webhook: false }
 */
export function parseRateLimitSpec(text: string): Partial<Record<RateLimitedRoute, number | false>> {
  const limits: Partial<Record<RateLimitedRoute, number | false>> = {};
  for (const part of text.split(',')) {
    const match = /^\s*([a-z]+)\s*=\s*(\d+|off)\s*$/.exec(part);
    const route = match?.[1] as RateLimitedRoute | undefined;
    if (!match || !route || !ROUTES.includes(route)) {
      throw new RangeError(`"${part.trim()}" is not route=n: routes are ${ROUTES.join(', ')}; n is requests per minute or off`);
    }
    if (route in limits) throw new RangeError(`${route} is given twice`);
    const n = match[2] === 'off' ? false : Number(match[2]);
    if (n !== false && (!Number.isSafeInteger(n) || n < 1)) throw new RangeError(`${route}=${match[2]}: the limit must be at least 1 (or off)`);
    limits[route] = n;
  }
  return limits;
}

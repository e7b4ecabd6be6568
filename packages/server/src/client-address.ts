import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { AppEnv } from './env.js';
import { requestHeader } from './node-request.js';

/** Who a request comes from, for rate limits: a key function of the request. */
export type ClientKey = (c: Context<AppEnv>) => string;

/**
 * The client's address: the socket's remote address, or, behind a trusted proxy, the first
 * address of X-Forwarded-For (the one the proxy saw). Never trust the header without a proxy in
 * front: any client could then pick its own rate-limit bucket.
 *
 * Requests that did not come through @hono/node-server (`app.request()` in tests, other
 * runtimes) have no socket and share the key "unknown".
 *
 * @example const key = clientAddress({ trustProxy: true }); key(c) // "203.0.113.7"
 */
export function clientAddress(options: { trustProxy?: boolean } = {}): ClientKey {
  const trustProxy = options.trustProxy ?? false;
  return (c) => {
    if (trustProxy) {
      const forwarded = requestHeader(c, 'x-forwarded-for');
      if (forwarded) {
        const comma = forwarded.indexOf(',');
        const first = (comma === -1 ? forwarded : forwarded.slice(0, comma)).trim();
        if (first) return first;
      }
    }
    const env = c.env as Partial<AppEnv['Bindings']> & { server?: unknown } | undefined;
    if (!env || (!env.incoming && !env.server)) return 'unknown';
    return getConnInfo(c).remote.address ?? 'unknown';
  };
}

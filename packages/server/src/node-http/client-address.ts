import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import proxyAddr from 'proxy-addr';
import type { AppEnv } from '../env.js';
import { requestHeader } from './node-request.js';

/** Who a request comes from, for rate limits: a key function of the request. */
export type ClientKey = (c: Context<AppEnv>) => string;

/**
 * Which peers are your own proxies, trusted to append the address they saw to X-Forwarded-For:
 * - a number of hops: that many proxies in front of the server (1 for one nginx or load balancer);
 * - addresses and CIDR ranges (`10.0.0.7`, `10.0.0.0/8`, `fd00::/8`), or the names `loopback`,
 *   `linklocal`, `uniquelocal`, one string or a list;
 * - a function of an address and its hop (0 is the socket's peer) that says whether it is one.
 * `false` (the default) trusts no proxy: the client is the socket's peer, whatever the header says.
 */
export type TrustProxy = false | number | string | readonly string[] | ((address: string, hop: number) => boolean);

/** What a bare `true` used to mean (the left-most address, which the client writes) is refused. */
const TRUST_PROXY_FORMS =
  'the number of proxies in front of the server (1 for one nginx), or their addresses and CIDR ranges ' +
  '(10.0.0.7,10.0.0.0/8), or loopback, linklocal, uniquelocal';

/**
 * The client's address: the socket's peer or, behind trusted proxies, the right-most address of
 * X-Forwarded-For that is not one of them (proxy-addr, Express's implementation). Each proxy
 * appends the peer it saw, so everything left of the first untrusted hop was written by the client
 * and is ignored: a client can neither escape its limit nor spend someone else's with the header.
 *
 * Requests that did not come through @hono/node-server (`app.request()` in tests, other
 * runtimes) have no socket and share the key "unknown".
 *
 * @example
 * const key = clientAddress({ trustProxy: 1 }); // one proxy in front
 * // socket 10.0.0.2 (the proxy), X-Forwarded-For: "6.6.6.6, 203.0.113.7" → "203.0.113.7"
 */
export function clientAddress(options: { trustProxy?: TrustProxy } = {}): ClientKey {
  const trust = compileTrust(options.trustProxy ?? false);
  return (c) => {
    const socket = c.env?.incoming?.socket as IncomingMessage['socket'] | undefined;
    const peer = socket?.remoteAddress;
    if (peer === undefined) return 'unknown';
    if (!trust) return peer;
    const forwarded = requestHeader(c, 'x-forwarded-for');
    if (!forwarded) return peer;
    return proxyAddr({ headers: { 'x-forwarded-for': forwarded }, socket: { remoteAddress: peer } } as unknown as IncomingMessage, trust);
  };
}

/**
 * The trust function, or undefined when no proxy is trusted. Throws a TypeError for a setting it
 * cannot read (a bad address, a negative count, `true`), at start-up rather than per request.
 */
function compileTrust(setting: TrustProxy | true): ((address: string, hop: number) => boolean) | undefined {
  if (setting === false || setting === 0) return undefined;
  if (setting === true) {
    throw new TypeError(`trustProxy: true would believe whatever a client writes in X-Forwarded-For; give ${TRUST_PROXY_FORMS}`);
  }
  if (typeof setting === 'function') return setting;
  if (typeof setting === 'number') {
    if (!Number.isSafeInteger(setting) || setting < 0) throw new TypeError(`trustProxy: a number of proxies must be a whole number ≥ 0, got ${setting}`);
    return (_address, hop) => hop < setting;
  }
  const list = typeof setting === 'string' ? [setting] : [...setting];
  if (list.length === 0 || list.some((entry) => typeof entry !== 'string' || entry.trim() === '')) {
    throw new TypeError(`trustProxy: give ${TRUST_PROXY_FORMS}`);
  }
  try {
    return proxyAddr.compile(list.map((entry) => entry.trim()));
  } catch (err) {
    throw new TypeError(`trustProxy: ${(err as Error).message} (give ${TRUST_PROXY_FORMS})`);
  }
}

import type { TrustProxy } from '@flashsale/server';
import proxyAddr from 'proxy-addr';

/** The forms `--trust-proxy` takes, for its help and its errors. */
export const TRUST_PROXY_USAGE =
  'give the number of proxies in front of the server (1 for one nginx or load balancer), or their addresses ' +
  'and CIDR ranges, comma-separated (10.0.0.7,10.0.0.0/8), or loopback, linklocal, uniquelocal';

/**
 * Parses `--trust-proxy`: a whole number of proxy hops (1 to 100), or a comma-separated list of
 * addresses, CIDR ranges and the names loopback, linklocal, uniquelocal. Throws a `RangeError`
 * naming the problem.
 *
 * @example parseTrustProxySpec('1') // 1
 * @example parseTrustProxySpec('10.0.0.0/8, loopback') // ['10.0.0.0/8', 'loopback']
 */
export function parseTrustProxySpec(text: string): TrustProxy {
  const spec = text.trim();
  if (/^\d+$/.test(spec)) {
    const hops = Number(spec);
    if (hops < 1 || hops > 100) throw new RangeError(`${spec} proxies: the number of proxies must be from 1 to 100`);
    return hops;
  }
  const list = spec.split(',').map((entry) => entry.trim());
  if (list.some((entry) => entry === '')) throw new RangeError(`"${text}" has an empty entry; ${TRUST_PROXY_USAGE}`);
  try {
    // What the server compiles them with (packages/server/src/node-http/client-address.ts), without loading the server.
    proxyAddr.compile(list);
  } catch (error) {
    throw new RangeError(`${(error as Error).message}; ${TRUST_PROXY_USAGE}`);
  }
  return list;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { parseTrustProxySpec } from '../src/trust-proxy-spec.js';
import { startServe, type RunningCli } from './helpers/cli-process.js';
import { freshSqlite, type TestDatabase } from './helpers/databases.js';
import { memoryIo } from './helpers/memory-io.js';

describe('parseTrustProxySpec', () => {
  it('reads a number of hops, or a list of addresses, ranges and names', () => {
    expect(parseTrustProxySpec('1')).toBe(1);
    expect(parseTrustProxySpec(' 2 ')).toBe(2);
    expect(parseTrustProxySpec('10.0.0.7')).toEqual(['10.0.0.7']);
    expect(parseTrustProxySpec('10.0.0.0/8, fd00::/8,loopback')).toEqual(['10.0.0.0/8', 'fd00::/8', 'loopback']);
  });

  it.each(['0', '101', '-1', '1.5', '', 'nginx', '10.0.0.1,', '10.0.0.0/33', 'localhost'])('refuses %j', (text) => {
    expect(() => parseTrustProxySpec(text)).toThrow(RangeError);
  });
});

describe('flashsale serve --trust-proxy', () => {
  it.each([
    [['serve', '--trust-proxy'], /--trust-proxy needs to know your proxies: give the number of proxies .* or loopback, linklocal, uniquelocal/],
    [['serve', '--trust-proxy', '--port', '0'], /--trust-proxy needs to know your proxies/],
    [['serve', '--trust-proxy', 'nginx'], /'--trust-proxy \[proxies\]' argument 'nginx' is invalid\. invalid IP address: nginx; give the number/],
    [['serve', '--trust-proxy', '0'], /the number of proxies must be from 1 to 100/],
  ])('%j is a one-line usage error (exit 2) naming the forms', async (argv, message) => {
    const io = memoryIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err().trimEnd().split('\n')).toHaveLength(1);
    expect(io.err()).toMatch(message);
  });

  describe('behind a proxy at 127.0.0.1', () => {
    let database: TestDatabase;
    let server: RunningCli;
    beforeAll(async () => {
      database = freshSqlite();
      server = await startServe(['--port', '0', '--db', database.db, '--rate-limit', 'holds=2', '--trust-proxy', '127.0.0.1']);
    });
    afterAll(async () => {
      if (server && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      await database?.dispose();
    });

    it('the client is the right-most X-Forwarded-For address, whatever was written left of it', async () => {
      // This test is the proxy: it connects from 127.0.0.1 and writes the header as one would.
      const hold = (forwardedFor: string) =>
        fetch(`${server.url}/api/holds`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
          body: JSON.stringify({ product_id: 1, qty: 1 }),
        }).then((res) => res.status);
      expect([await hold('203.0.113.1'), await hold('6.6.6.6, 203.0.113.1'), await hold('7.7.7.7, 203.0.113.1')]).toEqual([201, 201, 429]);
      expect(await hold('203.0.113.1, 203.0.113.2')).toBe(201);
    });
  });
});

import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * How the proxy behaves while the database is "down":
 * - `refuse`: open links are reset and the listening socket is closed, so a new connection gets
 *   ECONNREFUSED at once (the host is up, PostgreSQL is not);
 * - `blackhole`: open links are reset, and a new connection is accepted and then never answered
 *   (a partition, or a server too overloaded to reply): only the client's timeouts end the wait;
 * - `stall`: open links stay open but nothing passes either way, and new connections are
 *   blackholed (a partition that drops packets without a reset). Nothing tells the client.
 */
export type OutageMode = 'refuse' | 'blackhole' | 'stall';

/** A TCP proxy in front of a real PostgreSQL, whose link a test can cut and restore. */
export interface TcpProxy {
  readonly port: number;
  /** Starts the outage (see {@link OutageMode}). */
  cut(mode: OutageMode): Promise<void>;
  /** Serves new connections again, on the same port; stalled links flow again. */
  restore(): Promise<void>;
  /**
   * The local ports of the proxy's connections to the target: PostgreSQL's `client_port` for
   * exactly this proxy's sessions, so a test can terminate those and no one else's.
   */
  upstreamPorts(): number[];
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port forwarding to `target`. Cutting it simulates a database
 * outage for one process only: the real PostgreSQL, which other test files share, keeps running.
 *
 * @example
 * const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
 * await proxy.cut('refuse'); // the app's connections drop, new ones are refused
 * await proxy.restore();
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  const held = new Set<Socket>();
  let mode: 'up' | OutageMode = 'up';

  const onConnection = (client: Socket) => {
    if (mode === 'blackhole' || mode === 'stall') {
      // Accept, read nothing, answer nothing: the client waits for its connection timeout.
      held.add(client);
      client.pause();
      client.on('error', () => {}).on('close', () => held.delete(client));
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };

  let server = await listen(createServer(onConnection), 0);
  const port = (server.address() as { port: number }).port;

  return {
    port,
    async cut(next) {
      mode = next;
      if (next === 'stall') {
        for (const { client, upstream } of pairs) {
          client.unpipe(upstream);
          upstream.unpipe(client);
          client.pause();
          upstream.pause();
        }
        return;
      }
      for (const { client, upstream } of pairs) {
        // resetAndDestroy sends RST, as a crashed server or a dropped link would; plain destroy
        // would send FIN, a polite goodbye that a real outage does not give.
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
      for (const socket of held) socket.resetAndDestroy();
      held.clear();
      if (next === 'refuse' && server.listening) await closeServer(server);
      if (next === 'blackhole' && !server.listening) server = await listen(createServer(onConnection), port);
    },
    async restore() {
      if (mode === 'stall') {
        for (const { client, upstream } of pairs) {
          client.pipe(upstream);
          upstream.pipe(client);
        }
      }
      mode = 'up';
      for (const socket of held) socket.resetAndDestroy();
      held.clear();
      if (!server.listening) server = await listen(createServer(onConnection), port);
    },
    upstreamPorts: () => [...pairs].map(({ upstream }) => upstream.localPort).filter((port): port is number => port !== undefined),
    async close() {
      mode = 'refuse';
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const socket of held) socket.destroy();
      if (server.listening) await closeServer(server);
    },
  };
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  // close() waits for open connections; the proxied ones were destroyed just before.
  return new Promise((resolve) => server.close(() => resolve()));
}

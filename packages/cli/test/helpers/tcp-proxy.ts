import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * - `forward`: a transparent pipe to the target.
 * - `refuse`: the database is gone: open connections are reset, new ones are reset at once.
 * - `stall`: the network went silent: open connections stop carrying bytes either way, new ones
 *   are accepted and never answered.
 */
export type ProxyMode = 'forward' | 'refuse' | 'stall';

export interface TcpProxy {
  readonly port: number;
  /**
   * Switches mode: `refuse` resets every open connection, `stall` freezes them, and `forward`
   * ends the frozen ones (as after a long partition) and pipes new ones again.
   */
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in the test process, between a server under test and the shared PostgreSQL: the
 * test can take "the database" away and bring it back without touching the real server, which
 * other tests are using.
 *
 * @example const proxy = await startTcpProxy(5432); proxy.setMode('refuse'); …; proxy.setMode('forward');
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: ProxyMode = 'forward';
  const pairs = new Set<[Socket, Socket | undefined]>();

  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (mode === 'stall') {
      // Accepted, and never answered: whatever the client sends is read and dropped.
      const pair: [Socket, Socket | undefined] = [client, undefined];
      pairs.add(pair);
      client.resume();
      client.on('close', () => pairs.delete(pair));
      return;
    }
    const upstream = connect(targetPort, targetHost);
    upstream.on('error', () => client.destroy());
    const pair: [Socket, Socket | undefined] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    setMode(next) {
      mode = next;
      for (const pair of [...pairs]) {
        if (next === 'forward') {
          // Connections frozen by a stall do not come back to life: they end, as after a long partition.
          if (!pair[1] || pair[1].isPaused()) {
            pair[0].destroy();
            pair[1]?.destroy();
            pairs.delete(pair);
          }
          continue;
        }
        const [client, upstream] = pair;
        if (next === 'refuse') {
          client.resetAndDestroy();
          upstream?.destroy();
          pairs.delete(pair);
        } else if (upstream) {
          // Freeze: nothing more flows either way, but neither side is told.
          client.unpipe(upstream);
          upstream.unpipe(client);
          upstream.pause();
          client.removeAllListeners('data');
          client.resume();
        }
      }
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream?.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

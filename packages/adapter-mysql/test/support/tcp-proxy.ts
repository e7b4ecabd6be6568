import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of the test server that can fail the way networks do, for this test's
 * connections only:
 * - `silence()`: every socket stays open but no byte moves either way, as in a partition; new
 *   connections are accepted and never answered. The real server never notices.
 * - `reset()`: every open connection is reset, as when the server's host goes away.
 * - `forward()`: new connections are piped through again.
 */
export interface TcpProxy {
  readonly port: number;
  silence(): void;
  reset(): void;
  forward(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let silent = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    track(client);
    if (silent) return void client.resume();
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.on('data', (chunk) => silent || upstream.write(chunk));
    upstream.on('data', (chunk) => silent || client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    silence: () => {
      silent = true;
    },
    reset: () => {
      for (const socket of sockets) socket.resetAndDestroy();
    },
    forward: () => {
      silent = false;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

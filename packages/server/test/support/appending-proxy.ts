import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A reverse proxy in front of a server, as nginx with `$proxy_add_x_forwarded_for` (or HAProxy's
 * `forwardfor`, or a cloud load balancer) is one: it appends the address of the peer it saw to
 * whatever X-Forwarded-For the client sent, and forwards the request from its own address.
 */
export async function appendingProxy(target: { port: number; host?: string }): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((incoming, outgoing) => {
    const peer = incoming.socket.remoteAddress ?? '';
    const sent = incoming.headers['x-forwarded-for'];
    const headers: IncomingHttpHeaders = { ...incoming.headers, 'x-forwarded-for': sent ? `${sent}, ${peer}` : peer };
    const upstream = request({ host: target.host ?? '127.0.0.1', port: target.port, method: incoming.method, path: incoming.url, headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A request from a chosen local address: Linux routes all of 127.0.0.0/8 to the loopback
 * interface, so binding 127.0.0.2 or 127.0.0.3 makes a distinct client on one machine.
 */
export function requestFrom(
  localAddress: string,
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, localAddress, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale, type FlashSale } from '@flashsale/core';
import { afterEach, describe, expect, test } from 'vitest';
import { generateWebhookSecret, serve, type RunningServer, type ServeOptions } from '../src/index.js';
import { openRaw, parseRawResponse, within, type RawConnection } from './support/raw-socket.js';

/**
 * Slow clients (slowloris): headers or a body trickled in and never finished. The server's
 * timeouts must cut them off, and while they hang every other client is served. Timeouts here are
 * small; the bounds are generous (the timeout, Node's checking interval and keep-alive buffer,
 * plus seconds of slack): these are behavioural checks, not measurements.
 */

const SLACK_MS = 3_000;
const servers: RunningServer[] = [];
const connections: RawConnection[] = [];
afterEach(async () => {
  for (const c of connections.splice(0)) c.socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: Partial<ServeOptions> = {}): Promise<{ server: RunningServer; engine: FlashSale; productId: number }> {
  const engine = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }) });
  const { id } = await engine.createProduct({ name: 'P', price: '1.00', stock: 100 });
  const server = await serve({ engine, port: 0, logger: false, rateLimit: false, sweeper: false, webhookSecret: generateWebhookSecret(), ...options });
  servers.push(server);
  return { server, engine, productId: id };
}

async function raw(server: RunningServer): Promise<RawConnection> {
  const connection = await openRaw(server.port);
  connections.push(connection);
  return connection;
}

/** The server either answered 408 problem+json before closing, or just closed: both cut the client off. */
function expectCutOff(answer: string) {
  if (answer === '') return;
  const res = parseRawResponse(answer);
  expect(res?.status).toBe(408);
  expect(res?.headers['content-type']).toBe('application/problem+json');
  expect(JSON.parse(res!.body)).toMatchObject({ status: 408, code: 'request_timeout', type: '/problems/request_timeout' });
}

const holdRequestHead = (length: number) =>
  `POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('slow clients are cut off by the server', () => {
  test('headers trickled forever: 408 and closed after headersTimeoutMs', async () => {
    const { server } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 1_000 });
    const slow = await raw(server);
    slow.socket.write('GET /api/products/1 HTTP/1.1\r\nHost: x\r\n');
    slow.trickle('X-Slow: a\r\n', 50);
    expectCutOff(await within(slow.closed, 300 + SLACK_MS, 'slow headers cut off'));
  });

  test('a connection that never sends a byte is closed too', async () => {
    const { server } = await start({ headersTimeoutMs: 300, requestTimeoutMs: 1_000 });
    const idle = await raw(server);
    expectCutOff(await within(idle.closed, 300 + SLACK_MS, 'silent connection cut off'));
  });

  test('a body trickled (Content-Length 100, a few bytes slowly): 408 after requestTimeoutMs, and no stock taken', async () => {
    const { server, engine, productId } = await start({ headersTimeoutMs: 200, requestTimeoutMs: 600 });
    const slow = await raw(server);
    slow.socket.write(`${holdRequestHead(100)}{"product_id":${productId},`);
    slow.trickle(' ', 50);
    expectCutOff(await within(slow.closed, 600 + SLACK_MS, 'slow body cut off'));
    expect((await engine.getProduct(productId)).availableStock).toBe(100);
    expect((await engine.verify()).ok).toBe(true);
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const { server } = await start({ keepAliveTimeoutMs: 200 });
    const client = await raw(server);
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    // Node adds keepAliveTimeoutBuffer (1 s) to the advertised keep-alive time.
    const answer = await within(client.closed, 200 + 1_000 + SLACK_MS, 'idle keep-alive closed');
    expect(parseRawResponse(answer)?.status).toBe(200);
  });

  test('while slow sockets hang, requests on fresh connections are answered', async () => {
    const { server, engine, productId } = await start({ headersTimeoutMs: 3_000, requestTimeoutMs: 4_000 });
    const slowHeaders = await Promise.all(Array.from({ length: 10 }, () => raw(server)));
    const slowBodies = await Promise.all(Array.from({ length: 10 }, () => raw(server)));
    for (const c of slowHeaders) {
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      c.trickle('X-Slow: a\r\n', 100);
    }
    for (const c of slowBodies) {
      c.socket.write(`${holdRequestHead(100)}{"product_id":`);
      c.trickle(' ', 100);
    }

    const answers = await Promise.all([
      fetch(`${server.url}/healthz`),
      fetch(`${server.url}/api/products/${productId}`),
      ...Array.from({ length: 5 }, () =>
        fetch(`${server.url}/api/holds`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ product_id: productId, qty: 1 }),
        }),
      ),
    ]);
    // They were served while every slow socket was still hanging, not after the server cut them.
    expect([...slowHeaders, ...slowBodies].every((c) => c.isOpen())).toBe(true);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 201, 201, 201, 201, 201]);
    expect((await engine.getProduct(productId)).availableStock).toBe(95);

    const cut = await within(Promise.all([...slowHeaders, ...slowBodies].map((c) => c.closed)), 4_000 + SLACK_MS, 'slow sockets cut off');
    for (const answer of cut) expectCutOff(answer);
    expect((await engine.getProduct(productId)).availableStock).toBe(95);
  });
});

describe('HTTP refused before the app runs (by the parser or the adapter) is answered with problem+json too', () => {
  test.each([
    { name: 'a request line that is not HTTP', request: 'GARBAGE\r\n\r\n', status: 400, code: 'bad_request' },
    { name: 'a control character in a header value', request: 'GET /healthz HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x01b\r\n\r\n', status: 400, code: 'bad_request' },
    { name: 'Content-Length that is not a number', request: 'POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}', status: 400, code: 'bad_request' },
    { name: 'both Content-Length and chunked', request: 'POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', status: 400, code: 'bad_request' },
    { name: 'an asterisk target (GET *), which has no URL', request: 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, code: 'bad_request' },
    { name: 'OPTIONS *', request: 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n', status: 400, code: 'bad_request' },
    { name: 'headers over 16 KiB', request: `GET /healthz HTTP/1.1\r\nHost: x\r\nIdempotency-Key: ${'k'.repeat(20_000)}\r\n\r\n`, status: 431, code: 'header_fields_too_large' },
  ])('$name → $status $code', async ({ request, status, code }) => {
    const { server, engine, productId } = await start();
    const client = await raw(server);
    client.socket.end(request);
    const res = parseRawResponse(await client.closed);
    expect(res?.status).toBe(status);
    expect(res?.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res!.body)).toEqual({ type: `/problems/${code}`, title: expect.any(String), status, detail: expect.any(String), code });
    expect((await engine.getProduct(productId)).availableStock).toBe(100);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

test('serve() refuses timeouts that cannot work', async () => {
  const engine = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }) });
  await expect(serve({ engine, port: 0, logger: false, webhookSecret: generateWebhookSecret(), headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).rejects.toThrow(/headersTimeoutMs/);
  await expect(serve({ engine, port: 0, logger: false, webhookSecret: generateWebhookSecret(), keepAliveTimeoutMs: 0 })).rejects.toThrow(/keepAliveTimeoutMs/);
  await engine.close();
});

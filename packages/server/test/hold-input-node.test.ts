import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale } from '@flashsale/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp, createMetrics, serve, type RunningServer } from '../src/index.js';
import { captureLogger } from './helpers.js';
import { envelopeCases, holdCases, JSON_CT } from './support/bad-input-cases.js';
import { openRaw, parseRawResponse, rawExchange, within } from './support/raw-socket.js';

/**
 * POST /api/holds reads its headers and body straight from Node's request under a real server
 * (node-http/node-request.ts), and through `c.req` under app.request(). These tests send raw bytes over a
 * socket, so every byte (or missing header) is exactly what a client sent, and prove the two
 * paths answer alike and that nothing a client sends reaches the engine unchecked.
 */

const MAX_BODY = 256;
const STOCK = 10;
const captured = captureLogger();
let server: RunningServer;
let productId: number;
const metrics = createMetrics();
const engine = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }), onEvent: metrics.onEvent });
// The same engine behind app.request(), to compare answers byte for byte.
const inProcess = createApp({ engine, logger: false, metrics: false, rateLimit: false, maxBodyBytes: MAX_BODY });

beforeAll(async () => {
  server = await serve({ engine, metrics, port: 0, logger: captured.logger, rateLimit: false, sweeper: false, maxBodyBytes: MAX_BODY });
  productId = (await engine.createProduct({ name: 'P', price: '1.00', stock: STOCK })).id;
});
afterAll(async () => {
  await server.close();
});

function holdRequest(body: string | Buffer | undefined, headers: Record<string, string | undefined>): Buffer {
  const lines = ['POST /api/holds HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) lines.push(`${name}: ${value}`);
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  if (body !== undefined && headers['transfer-encoding'] === undefined) lines.push(`Content-Length: ${bytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), bytes]);
}

async function send(body: string | Buffer | undefined, headers: Record<string, string | undefined> = { 'Content-Type': JSON_CT }) {
  const answer = parseRawResponse(await rawExchange(server.port, holdRequest(body, headers)));
  if (!answer) throw new Error('no HTTP answer');
  return answer;
}

async function stock(): Promise<number> {
  return (await engine.getProduct(productId)).availableStock;
}

const oversized = JSON.stringify({ pad: 'x'.repeat(MAX_BODY) });

async function answered400(): Promise<number> {
  const match = /flashsale_http_requests_total\{method="POST",route="\/api\/holds",status="400"\} (\d+)/.exec(await metrics.render());
  return match ? Number(match[1]) : 0;
}

describe('POST /api/holds over a socket', () => {
  test.each([...envelopeCases, ...holdCases])('$name → $code, the same answer as in process, nothing taken', async ({ body, contentType, status = 400, code }) => {
    const raw = (body === JSON.stringify({ pad: 'x'.repeat(16 * 1024) }) ? oversized : body)?.replaceAll('"product_id":1', `"product_id":${productId}`);
    const headers = { 'Content-Type': contentType === null ? undefined : (contentType ?? JSON_CT) };
    const before = await stock();
    const answer = await send(raw, headers);
    expect({ status: answer.status, code: (JSON.parse(answer.body) as { code: string }).code }).toEqual({ status, code });
    expect(answer.headers['content-type']).toBe('application/problem+json');

    const local = await inProcess.request('/api/holds', {
      method: 'POST',
      headers: headers['Content-Type'] === undefined ? {} : { 'content-type': headers['Content-Type'] },
      ...(raw === undefined ? {} : { body: raw }),
    });
    if (headers['Content-Type'] !== undefined || raw === '') {
      // Without a Content-Type, fetch's Request calls a string body text/plain; only the raw socket can omit it.
      expect(JSON.parse(answer.body)).toEqual(await local.json());
    }
    expect(await stock()).toBe(before);
  });

  test('a body streamed in chunks is read whole', async () => {
    const connection = await openRaw(server.port);
    connection.socket.write(holdRequest(undefined, { 'Content-Type': JSON_CT, 'Content-Length': '25' }));
    const body = `{"product_id":${productId},"qty":1}`.padEnd(25, ' ');
    connection.socket.write(body.slice(0, 7));
    await new Promise((resolve) => setTimeout(resolve, 20));
    connection.socket.end(body.slice(7));
    const answer = parseRawResponse(await within(connection.closed, 5_000, 'answer'));
    expect(answer?.status).toBe(201);
  });

  test('a chunked body over the limit is 413 without a Content-Length to check', async () => {
    const before = await stock();
    const chunk = `{"product_id":${productId},"qty":1,"pad":"${'x'.repeat(MAX_BODY)}"}`;
    const request = Buffer.concat([
      holdRequest(undefined, { 'Content-Type': JSON_CT, 'transfer-encoding': 'chunked' }),
      Buffer.from(`${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`),
    ]);
    const answer = parseRawResponse(await rawExchange(server.port, request));
    expect(answer?.status).toBe(413);
    expect(JSON.parse(answer!.body)).toMatchObject({ code: 'payload_too_large' });
    expect(await stock()).toBe(before);
  });

  test('a chunked body within the limit is a hold', async () => {
    const chunk = `{"product_id":${productId},"qty":1}`;
    const request = Buffer.concat([
      holdRequest(undefined, { 'Content-Type': JSON_CT, 'transfer-encoding': 'chunked' }),
      Buffer.from(`${chunk.length.toString(16)}\r\n${chunk}\r\n0\r\n\r\n`),
    ]);
    expect(parseRawResponse(await rawExchange(server.port, request))?.status).toBe(201);
  });

  test('a leading byte-order mark is dropped, as a web Request drops it', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"product_id":${productId},"qty":1}`)]);
    expect((await send(body)).status).toBe(201);
  });

  test('a Content-Length over the limit is 413 before the body is sent', async () => {
    const connection = await openRaw(server.port);
    connection.socket.write(holdRequest(undefined, { 'Content-Type': JSON_CT, 'Content-Length': String(MAX_BODY + 1) }));
    const answer = parseRawResponse(await within(connection.closed, 5_000, 'answer without a body'));
    expect(answer?.status).toBe(413);
  });

  test('a bad Idempotency-Key is a header error; a good one replays', async () => {
    const body = `{"product_id":${productId},"qty":1}`;
    const bad = await send(body, { 'Content-Type': JSON_CT, 'Idempotency-Key': 'has space' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'invalid_input', errors: [{ in: 'header', pointer: 'idempotency-key' }] });
    const first = await send(body, { 'Content-Type': JSON_CT, 'Idempotency-Key': 'socket-key-1' });
    const again = await send(body, { 'Content-Type': JSON_CT, 'Idempotency-Key': 'socket-key-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(JSON.parse(again.body)).toEqual(JSON.parse(first.body));
  });

  test('a client that hangs up mid-body costs nothing and is no server error', async () => {
    const before = await stock();
    const malformedBefore = await answered400();
    const connection = await openRaw(server.port);
    connection.socket.write(holdRequest(undefined, { 'Content-Type': JSON_CT, 'Content-Length': '40' }));
    connection.socket.write(`{"product_id":${productId},`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    connection.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await stock()).toBe(before);
    expect((await send(`{"product_id":${productId},"qty":1}`)).status).toBe(201);
    expect(captured.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
    expect(await metrics.render()).not.toMatch(/route="\/api\/holds",status="5\d\d"/);
    // The cut-off read settled, as a 400 for a body that is not JSON, rather than hanging.
    expect(await answered400()).toBe(malformedBefore + 1);
  });
});

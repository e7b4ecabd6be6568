import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createFlashSale, type FlashSaleStore } from '@flashsale/core';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { serve, type RunningServer } from '../src/index.js';
import { parseRawResponse, rawExchange, within } from './support/raw-socket.js';

/**
 * A client may send a whole request and half-close its socket (FIN) before the answer is ready.
 * The answer must still come, however long the store takes: here every store call waits 50 ms,
 * as a PostgreSQL round trip under load would.
 */

const sqlite = openSqliteStore({ filename: ':memory:' });
const slow = <T>(work: Promise<T>) => new Promise<T>((resolve, reject) => setTimeout(() => work.then(resolve, reject), 50));
const store: FlashSaleStore = Object.assign(Object.create(sqlite) as FlashSaleStore, {
  reserveHolds: (requests: Parameters<FlashSaleStore['reserveHolds']>[0]) => slow(sqlite.reserveHolds(requests)),
  getProduct: (id: number) => slow(sqlite.getProduct(id)),
});
const engine = createFlashSale({ store });
let server: RunningServer;
let productId: number;

beforeAll(async () => {
  server = await serve({ engine, port: 0, logger: pino({ level: 'silent' }), rateLimit: false, sweeper: false });
  productId = (await engine.createProduct({ name: 'P', price: '1.00', stock: 5 })).id;
});
afterAll(async () => {
  await server.close();
});

const request = (lines: string[], body = '') => `${[...lines, `Content-Length: ${Buffer.byteLength(body)}`].join('\r\n')}\r\n\r\n${body}`;

test('a hold sent whole and then half-closed gets its 201, and the socket is closed after it', async () => {
  const body = JSON.stringify({ product_id: productId, qty: 2 });
  const text = await within(rawExchange(server.port, request(['POST /api/holds HTTP/1.1', 'Host: x', 'Content-Type: application/json'], body)), 5_000, 'half-closed hold');
  const answer = parseRawResponse(text);
  expect(answer?.status).toBe(201);
  expect(JSON.parse(answer!.body)).toMatchObject({ product_id: productId, qty: 2 });
  expect((await engine.getProduct(productId)).availableStock).toBe(3);
});

test('a product read sent whole and then half-closed gets its 200', async () => {
  const answer = parseRawResponse(await within(rawExchange(server.port, request([`GET /api/products/${productId} HTTP/1.1`, 'Host: x'])), 5_000, 'half-closed read'));
  expect(answer?.status).toBe(200);
});

test('a request cut short by the half-close is still refused with a 400, not left waiting', async () => {
  const cut = 'POST /api/holds HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"product_id":';
  const answer = parseRawResponse(await within(rawExchange(server.port, cut), 5_000, 'cut request'));
  expect(answer?.status).toBe(400);
});

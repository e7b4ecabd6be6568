import fc from 'fast-check';
import { hostileString } from './hostile-values.js';
import { requestPlan, type Endpoint } from './requests.js';

/**
 * Whole HTTP/1.1 requests as bytes, for what no client library lets through: UTF-8, NUL and bare
 * CR in header values, 8-20 KiB headers, Content-Length that lies, bad chunking, junk request
 * lines. Built on the same request plans as the app.request fuzz.
 */

export interface RawRequest {
  endpoint: Endpoint;
  method: string;
  path: string;
  /** The body as planned (framing may have cut it on the wire). */
  body: string | Uint8Array | undefined;
  bytes: Buffer;
  /** True when the server must wait for bytes that never come (a Content-Length past the body). */
  incomplete: boolean;
}

type Framing = 'exact' | 'none' | 'short' | 'long' | 'chunked' | 'bad-chunk' | 'cl-and-te' | 'two-lengths' | 'negative';

const rawHeader: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(fc.constantFrom('Idempotency-Key', 'Content-Type', 'Authorization', 'X-Junk', 'Webhook-Id'), hostileString),
  fc.tuple(fc.constant('Idempotency-Key'), fc.integer({ min: 8 * 1024, max: 20 * 1024 }).map((n) => 'k'.repeat(n))),
  fc.constantFrom<[string, string]>(
    ['X-Nul', 'a\u0000b'],
    ['Idempotency-Key', 'key-1\u0000'],
    ['Webhook-Id', 'msg_1\u0000'],
    ['X-Cr', 'a\rb'],
    ['X-Fold', 'a\r\n continued'],
    ['Bad Name', 'x'],
    ['Tëst', 'x'],
    ['', 'empty name'],
    ['Content-Type', 'application/json\u00e9'],
    ['Transfer-Encoding', 'gzip'],
    ['Transfer-Encoding', 'chunked, chunked'],
    ['Expect', '100-continue'],
    ['Authorization', 'Bearer fuzz-admin-token'],
    ['Authorization', 'Bearer fuzz-admin-tökén'],
  ),
);

/** Request lines no client library writes, with the endpoint each one reaches if it is accepted. */
const requestLine: fc.Arbitrary<[line: string, endpoint: Endpoint] | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<[string, Endpoint]>(
      ['GET / HTTP/1.1', 'elsewhere'],
      ['GARBAGE', 'elsewhere'],
      ['GET /api/holds HTTP/2.0', 'elsewhere'],
      ['GET /api/products/1 HTTP/1.1x', 'product'],
      ['post /api/holds HTTP/1.1', 'hold'],
      ['POST  /api/holds HTTP/1.1', 'hold'],
      ['POST /api/holds', 'hold'],
      ['G\u0000T / HTTP/1.1', 'elsewhere'],
      ['GET /api/products/é HTTP/1.1', 'product'],
      // Absolute form is valid HTTP/1.1: the path counts, the host in it does not.
      ['GET http://evil.example/api/products/1 HTTP/1.1', 'product'],
      ['GET * HTTP/1.1', 'elsewhere'],
      ['OPTIONS * HTTP/1.1', 'elsewhere'],
      ['PRI * HTTP/2.0', 'elsewhere'],
    ),
  },
);

export const rawRequest: fc.Arbitrary<RawRequest> = fc
  .record({
    plan: requestPlan,
    extra: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(rawHeader, { minLength: 1, maxLength: 3 }) }),
    framing: fc.oneof(
      { weight: 6, arbitrary: fc.constant<Framing>('exact') },
      { weight: 3, arbitrary: fc.constantFrom<Framing>('none', 'short', 'long', 'chunked', 'bad-chunk', 'cl-and-te', 'two-lengths', 'negative') },
    ),
    line: requestLine,
  })
  .map(({ plan, extra, framing, line }) => {
    const body = plan.body === undefined ? Buffer.alloc(0) : Buffer.from(plan.body);
    const headers: [string, string][] = [['Host', 'fuzz'], ...Object.entries(plan.headers)];
    if (plan.contentType !== undefined) headers.push(['Content-Type', plan.contentType]);
    headers.push(...extra);
    let payload = body;
    const length = body.length;
    switch (framing) {
      case 'exact':
        if (plan.body !== undefined) headers.push(['Content-Length', String(length)]);
        break;
      case 'none':
        break;
      case 'short':
        headers.push(['Content-Length', String(Math.max(0, length - 3))]);
        break;
      case 'long':
        headers.push(['Content-Length', String(length + 50)]);
        break;
      case 'chunked':
        headers.push(['Transfer-Encoding', 'chunked']);
        payload = Buffer.concat([Buffer.from(`${length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
        break;
      case 'bad-chunk':
        headers.push(['Transfer-Encoding', 'chunked']);
        payload = Buffer.concat([Buffer.from('zz\r\n'), body, Buffer.from('\r\n0\r\n\r\n')]);
        break;
      case 'cl-and-te':
        headers.push(['Content-Length', String(length)], ['Transfer-Encoding', 'chunked']);
        break;
      case 'two-lengths':
        headers.push(['Content-Length', String(length)], ['Content-Length', String(length + 1)]);
        break;
      case 'negative':
        headers.push(['Content-Length', '-1']);
        break;
    }
    headers.push(['Connection', 'close']);
    const head = `${line?.[0] ?? `${plan.method} ${plan.path} HTTP/1.1`}\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
    return {
      endpoint: line === undefined ? plan.endpoint : line[1],
      method: plan.method,
      path: plan.path,
      body: plan.body,
      incomplete: framing === 'long',
      // Header text goes out as UTF-8, as a careless client would write it.
      bytes: Buffer.concat([Buffer.from(head, 'utf8'), payload]),
    };
  });

import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { bodyTooLarge, malformedJson } from '../problems/body-problems.js';

/*
 * Reading a request straight from Node's IncomingMessage when @hono/node-server runs the app.
 * `c.req.header()` makes the adapter build a web `Headers` (undici) from every header of the
 * request, and a body read through `c.req` runs the adapter's web-body machinery; on the hold
 * route under a stampede both were a visible share of the server's CPU. Node has already parsed
 * the headers into a plain object, and a body of a few dozen bytes is one chunk. Without Node
 * bindings (`app.request()` in tests, other runtimes) both fall back to `c.req`.
 */

/** The Node request behind `c`, when there is one (bindings that only name a socket do not count). */
function nodeRequest(c: Context<AppEnv>): IncomingMessage | undefined {
  const incoming = c.env?.incoming;
  return incoming?.headers === undefined ? undefined : incoming;
}

/** A request header by lower-case name, as `c.req.header(name)` would give it. */
export function requestHeader(c: Context<AppEnv>, name: string): string | undefined {
  const incoming = nodeRequest(c);
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  // Node keeps only set-cookie as a list; every other repeated header is already joined.
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The request body as UTF-8 text, decoded as a web `Request` would,
 * refused with 413 `payload_too_large` when Content-Length or the bytes received pass `maxBytes`,
 * before more is read. A body the client cut off is refused as malformed JSON, as an unreadable
 * body is on every other route.
 */
export function readBodyText(c: Context<AppEnv>, maxBytes: number): Promise<string> {
  const declared = requestHeader(c, 'content-length');
  if (declared !== undefined && requestHeader(c, 'transfer-encoding') === undefined && Number(declared) > maxBytes) {
    return Promise.reject(bodyTooLarge(maxBytes));
  }
  const incoming = nodeRequest(c);
  // Once something read the body another way (a signature check, Hono's body limit on a chunked
  // body), Hono holds it; the Node stream has nothing left.
  return incoming && !incoming.readableDidRead ? readIncoming(incoming, maxBytes) : readWebBody(c, maxBytes);
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<string> {
  if (incoming.readableEnded) return Promise.resolve('');
  // Listeners stay attached until the request is collected: a settled read ignores what follows.
  // (Inline callbacks, not named ones: when run from TypeScript through tsx, every named closure
  // costs a defineProperty per request.)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    incoming.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      // The adapter drains or closes what is left once the 413 is answered.
      settled = true;
      reject(bodyTooLarge(maxBytes));
    });
    incoming.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    });
    incoming.on('error', () => {
      if (settled) return;
      settled = true;
      reject(malformedJson());
    });
    incoming.on('close', () => {
      if (settled) return;
      settled = true;
      reject(malformedJson());
    });
  });
}

async function readWebBody(c: Context<AppEnv>, maxBytes: number): Promise<string> {
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw malformedJson();
  }
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw bodyTooLarge(maxBytes);
  return text;
}

/** What a web `Request`'s text() gives: invalid sequences become U+FFFD, a leading BOM is dropped. */
function decodeUtf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

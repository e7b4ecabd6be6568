import { connect, type Socket } from 'node:net';

/** A raw TCP client, for requests no well-behaved HTTP client would send. */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent so far, as latin1 text (header bytes stay one char each). */
  received(): string;
  /** Resolves once the server (or an error) closed the connection, with what it sent. */
  readonly closed: Promise<string>;
  /** True until the connection closed. */
  isOpen(): boolean;
  /** Writes `chunk` every `everyMs` until the connection closes or `stop()` is called. */
  trickle(chunk: string, everyMs: number): { stop(): void };
}

export async function openRaw(port: number, host = '127.0.0.1'): Promise<RawConnection> {
  const socket = connect(port, host);
  let data = '';
  let open = true;
  const timers = new Set<NodeJS.Timeout>();
  socket.on('data', (chunk: Buffer) => (data += chunk.toString('latin1')));
  // A reset after the server's answer is an ordinary way for it to close on a slow client.
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) =>
    socket.on('close', () => {
      open = false;
      for (const timer of timers) clearInterval(timer);
      resolve(data);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    received: () => data,
    closed,
    isOpen: () => open,
    trickle(chunk, everyMs) {
      const timer = setInterval(() => {
        if (open) socket.write(chunk);
      }, everyMs);
      timers.add(timer);
      return { stop: () => (clearInterval(timer), timers.delete(timer)) };
    },
  };
}

/**
 * Sends `request` bytes on a fresh connection, half-closes, and resolves with the whole answer.
 *
 * Node's HTTP server drops an answer still being computed when the client half-closes (it aborts
 * the request on the client's FIN), so a request whose answer waits for I/O, a database round
 * trip, would get none. With `halfCloseAfterMs` the client half-closes only if the server has not
 * closed by then: a complete request (with `Connection: close`) is answered and closed first,
 * and one the server still waits on (a body shorter than its Content-Length) is then ended.
 */
export async function rawExchange(port: number, request: string | Buffer, options: { halfCloseAfterMs?: number } = {}): Promise<string> {
  const connection = await openRaw(port);
  if (options.halfCloseAfterMs === undefined) {
    connection.socket.end(request);
    return connection.closed;
  }
  connection.socket.write(request);
  const halfClose = setTimeout(() => connection.socket.end(), options.halfCloseAfterMs);
  try {
    return await connection.closed;
  } finally {
    clearTimeout(halfClose);
  }
}

/** Splits a raw HTTP/1.1 answer into status, lower-cased headers and body. */
export function parseRawResponse(text: string): { status: number; headers: Record<string, string>; body: string } | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '');
  if (!match) return undefined;
  const status = Number(match[1]);
  // An interim answer (100 Continue to "Expect: 100-continue") comes before the real one.
  if (status < 200) return parseRawResponse(text.slice(end + 4));
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = text.slice(end + 4);
  if (headers['content-length'] !== undefined) body = body.slice(0, Number(headers['content-length']));
  else if (headers['transfer-encoding'] === 'chunked') body = dechunk(body);
  return { status, headers, body };
}

function dechunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, lineEnd), 16);
    if (lineEnd === -1 || !(size > 0)) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 2 + size + 2);
  }
}

/** Rejects when `promise` has not settled within `ms`: a generous bound for a behavioural check. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

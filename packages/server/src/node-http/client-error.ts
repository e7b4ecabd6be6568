import type { Socket } from 'node:net';
import { RequestError } from '@hono/node-server';
import type { Logger } from 'pino';
import type { ProblemCode } from '../problems/catalog.js';
import { problemBody, PROBLEM_CONTENT_TYPE } from '../problems/render.js';

/** What Node's HTTP parser and timers report on a connection, before any route runs. */
const CLIENT_ERRORS: Partial<Record<string, [ProblemCode, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: ['request_timeout', 'The request did not arrive in time: send the headers and the body promptly.'],
  HPE_HEADER_OVERFLOW: ['header_fields_too_large', 'The request headers are too large.'],
};
const BAD_REQUEST: [ProblemCode, string] = ['bad_request', 'The request is not valid HTTP/1.1.'];

/**
 * The server's `clientError` listener: a request Node refuses before the app sees it (malformed
 * HTTP, headers over the size limit, a client too slow to send its headers or body) gets a
 * problem+json answer like every other refusal, then the connection is closed.
 *
 * Only the error code is logged: the error's `rawPacket` holds the request's bytes, headers
 * included, and so can carry an admin token or a signature.
 *
 * @example server.on('clientError', clientErrorHandler(logger));
 */
export function clientErrorHandler(logger: Logger | undefined): (err: NodeJS.ErrnoException, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable || responseStarted(socket)) {
      socket.destroy();
      return;
    }
    const [code, detail] = (err.code && CLIENT_ERRORS[err.code]) || BAD_REQUEST;
    const problem = problemBody(code, detail);
    const body = JSON.stringify(problem);
    logger?.info({ code, status: problem.status, cause: err.code }, 'client error');
    // Write then destroy, as Node's default handler does: the answer is small enough to leave at
    // once, and a client that stops reading (a slowloris) must not keep the socket open.
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_TEXT[problem.status] ?? 'Error'}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    socket.destroy();
  };
}

const STATUS_TEXT: Partial<Record<number, string>> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/**
 * True once the in-flight response on this socket has sent its status line: writing another one
 * would corrupt the stream. `_httpMessage` is the ServerResponse Node attaches to the socket (the
 * same check Node's own default handler makes).
 */
function responseStarted(socket: Socket): boolean {
  const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  return response?.headersSent === true;
}

/**
 * The `errorHandler` of @hono/node-server's request listener, for requests Node parsed but the
 * adapter cannot turn into a URL (`GET * HTTP/1.1`, `OPTIONS *`): 400 `bad_request` as
 * problem+json, where the adapter's default is an empty 400. Anything else reaching it is a bug
 * (the app renders its own errors): 500 `internal_error`, logged.
 *
 * @example getRequestListener(app.fetch, { errorHandler: requestErrorHandler(logger) })
 */
export function requestErrorHandler(logger: Logger | undefined): (err: unknown) => Response {
  return (err) => {
    const [code, detail]: [ProblemCode, string] =
      err instanceof RequestError ? ['bad_request', 'The request target is not a path.'] : ['internal_error', 'An unexpected error occurred. It has been logged.'];
    if (code === 'internal_error') logger?.error({ err }, 'unexpected error outside the app');
    else logger?.info({ code, status: 400 }, 'client error');
    const problem = problemBody(code, detail);
    return new Response(JSON.stringify(problem), { status: problem.status, headers: { 'Content-Type': PROBLEM_CONTENT_TYPE } });
  };
}

import type { MiddlewareHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import type { AppEnv } from '../env.js';
import { HttpProblem } from '../problems/http-problem.js';

/** The SPEC's limit: no request body of this API needs more than a few hundred bytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/**
 * Refuses bodies over `maxBytes` with 413 before they are parsed: by Content-Length when the
 * client sends one, otherwise by counting the stream as it arrives.
 *
 * @example app.post('/api/holds', bodyLimit(16 * 1024), handler)
 */
export function bodyLimit(maxBytes: number = DEFAULT_MAX_BODY_BYTES): MiddlewareHandler<AppEnv> {
  return honoBodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HttpProblem('payload_too_large', `The request body may be at most ${maxBytes} bytes.`);
    },
  });
}

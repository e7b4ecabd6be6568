import { FlashSaleError } from '@flashsale/core';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { AppEnv } from '../env.js';
import type { ProblemCode } from '../problems/catalog.js';
import { HttpProblem } from '../problems/http-problem.js';
import { BODY_PROBLEM_DETAIL } from '../problems/body-problems.js';
import { renderEngineRefusal } from '../problems/engine-refusal.js';
import { renderProblem } from '../problems/render.js';

/**
 * The app's one `onError`: every thrown error becomes application/problem+json here. Engine
 * errors carry their code; the HTTP layer's own refusals are {@link HttpProblem}s; anything else
 * is a bug, logged in full and answered 500 without a stack.
 *
 * @example app.onError(errorHandler({ logger }));
 */
export function errorHandler(options: { logger?: Logger | undefined }): ErrorHandler<AppEnv> {
  const logger = options.logger;
  return (err, c) => {
    if (err instanceof HttpProblem) {
      return renderProblem(c, err.code, err.message, { errors: err.errors, headers: err.headers });
    }
    if (FlashSaleError.is(err)) return renderEngineRefusal(c, err);
    if (err instanceof HTTPException) return renderHonoException(c, err, logger);
    logger?.error({ err, method: c.req.method, path: c.req.path }, 'unexpected error');
    return renderProblem(c, 'internal_error', 'An unexpected error occurred. It has been logged.');
  };
}

/** Unknown paths and methods get a problem too, never Hono's plain-text 404. */
export const notFoundHandler: NotFoundHandler<AppEnv> = (c) =>
  renderProblem(c, 'not_found', `No route for ${c.req.method} ${c.req.path}.`);

/** Hono's own exceptions: malformed JSON (400), a body without a JSON content type (415). */
function renderHonoException(c: Context<AppEnv>, err: HTTPException, logger: Logger | undefined): Response {
  const known: Partial<Record<number, [ProblemCode, string]>> = {
    400: ['malformed_json', BODY_PROBLEM_DETAIL.malformedJson],
    413: ['payload_too_large', 'The request body is too large.'],
    415: ['unsupported_media_type', BODY_PROBLEM_DETAIL.notJson],
  };
  const match = known[err.status];
  if (match) return renderProblem(c, match[0], match[1]);
  logger?.error({ err, method: c.req.method, path: c.req.path }, 'unexpected HTTP exception');
  return renderProblem(c, 'internal_error', 'An unexpected error occurred. It has been logged.');
}

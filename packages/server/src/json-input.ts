import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './env.js';
import { validationProblem, type ValidationTarget } from './middleware/validation-hook.js';
import { readBodyText, requestHeader } from './node-request.js';
import { malformedJson, notJson } from './problems/body-problems.js';

/*
 * Request input for a route that validates inside its handler instead of through zod-openapi's
 * validator middleware (the hold route, the hot path of a stampede). The answers are the same as
 * the validator's: the same Content-Type test, the same problems, the same zod schemas (which
 * also document the route in /openapi.json).
 */

/** zod-openapi's test of a JSON request Content-Type. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/**
 * The JSON body of the request, refused as zod-openapi refuses it: a non-JSON Content-Type, or a
 * body without one, is `unsupported_media_type`; unparsable text is `malformed_json`; a body
 * past `maxBytes` is 413. No Content-Type and no body reads as `{}`, for the schema to refuse.
 */
export async function readJson(c: Context<AppEnv>, maxBytes: number): Promise<unknown> {
  const contentType = requestHeader(c, 'content-type');
  if (contentType && !JSON_CONTENT_TYPE.test(contentType)) throw notJson();
  const text = await readBodyText(c, maxBytes);
  if (!contentType) {
    if (text.length > 0) throw notJson();
    return {};
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformedJson();
  }
}

/** `value` parsed by `schema`, or the 400 problem the validator middleware would answer. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, target: ValidationTarget, c: Context<AppEnv>): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(result.error.issues, target, c);
  return result.data;
}

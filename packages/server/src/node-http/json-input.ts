import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { validationProblem, type ValidationTarget } from '../middleware/validation-hook.js';
import { malformedJson, notJson } from '../problems/body-problems.js';
import { isJsonContentType } from './media-type.js';
import { readBodyText, requestHeader } from './node-request.js';

/*
 * The JSON body of every route that takes one. zod-openapi's validator middleware tests the
 * Content-Type with a regex of its own (which refuses RFC 9110's `application/json;`), so no route
 * hands its body to it: each reads the body here and validates it with the zod schema that also
 * documents it in /openapi.json (see routes/json-route.ts).
 */

/**
 * The JSON body of the request: a non-JSON Content-Type (see {@link isJsonContentType}), or a
 * body without one, is `unsupported_media_type`; unparsable text is `malformed_json`; a body
 * past `maxBytes` is 413. No Content-Type and no body reads as `{}`, for the schema to refuse.
 */
export async function readJson(c: Context<AppEnv>, maxBytes: number): Promise<unknown> {
  const contentType = requestHeader(c, 'content-type');
  if (contentType && !isJsonContentType(contentType)) throw notJson();
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

/** The request's JSON body ({@link readJson}) parsed by `schema`, or the problem it deserves. */
export async function readJsonBody<S extends z.ZodType>(c: Context<AppEnv>, schema: S, maxBytes: number): Promise<z.output<S>> {
  return parseWith(schema, await readJson(c, maxBytes), 'json', c);
}

/** `value` parsed by `schema`, or the 400 problem the validator middleware would answer. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, target: ValidationTarget, c: Context<AppEnv>): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationProblem(result.error.issues, target, c);
  return result.data;
}

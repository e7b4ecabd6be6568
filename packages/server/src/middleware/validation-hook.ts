import type { Hook } from '@hono/zod-openapi';
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { requestHeader } from '../node-http/node-request.js';
import { HttpProblem, type FieldError } from '../problems/http-problem.js';

/** Where a validated value came from, in zod-openapi's words. */
export type ValidationTarget = 'json' | 'param' | 'header' | 'query';

const LOCATION: Partial<Record<string, FieldError['in']>> = { json: 'body', param: 'path', header: 'header', query: 'query' };

/**
 * The `defaultHook` of every router: a request that fails its zod schema becomes a 400 problem
 * listing each bad field. A missing Idempotency-Key gets its own code, since a payment provider
 * needs to know that the key, not the body, was the trouble; so does a missing Hold-Token, a
 * credential (401). An empty header counts as missing.
 */
export const validationHook: Hook<unknown, AppEnv, string, void> = (result, c) => {
  if (result.success) return;
  throw validationProblem(result.error.issues, result.target, c);
};

/** The 400 problem for a value of `target` that failed its schema with these issues. */
export function validationProblem(issues: readonly z.core.$ZodIssue[], target: string, c: Context<AppEnv>): HttpProblem {
  const errors = toFieldErrors(issues, LOCATION[target] ?? 'body');
  if (target === 'header' && !requestHeader(c, 'idempotency-key') && errors.some((e) => e.pointer === 'idempotency-key')) {
    return new HttpProblem('idempotency_key_missing', 'This endpoint needs an Idempotency-Key header.', { errors });
  }
  // Hold lifecycle: the token is a credential, so its absence is 401 (with the challenge RFC 9110 requires).
  if (target === 'header' && !requestHeader(c, 'hold-token') && errors.some((e) => e.pointer === 'hold-token')) {
    return new HttpProblem('hold_token_required', "This endpoint needs the hold's token in a Hold-Token header.", {
      errors,
      headers: { 'WWW-Authenticate': 'Hold-Token realm="flashsale-hold"' },
    });
  }
  const summary = errors.map((e) => `${e.pointer === '#' ? 'body' : e.pointer}: ${e.detail}`).join('; ');
  return new HttpProblem('invalid_input', summary, { errors });
}

function toFieldErrors(issues: readonly z.core.$ZodIssue[], location: FieldError['in']): FieldError[] {
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const issue of issues) {
    const path = issue.path.map(String);
    const pointer = location === 'body' ? `#${path.map((p) => `/${p}`).join('')}` : (path[0] ?? '');
    // Several checks of one field can fail with the same message (-1.5 is neither an integer nor positive).
    const key = `${pointer}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ in: location, pointer, detail: issue.message });
  }
  return errors;
}

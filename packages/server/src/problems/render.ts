import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../env.js';
import { PROBLEM_CATALOG, type ProblemCode } from './catalog.js';
import type { FieldError } from './http-problem.js';

/** The RFC 9457 body every error answer carries. */
export interface ProblemBody {
  /** A URI reference naming the problem type; this server serves it at GET /problems/{code}. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** The stable machine code, such as `insufficient_stock`. */
  code: ProblemCode;
  errors?: FieldError[];
  // Drops: what a refusal of the window or the limit adds (see {@link ProblemMembers}).
  sale_starts_at?: string;
  limit?: number;
  remaining?: number;
}

/** Members a problem carries beside the standard ones: `sale_not_started` when the sale opens, `buyer_limit_exceeded` the limit and what remains. */
export type ProblemMembers = Pick<ProblemBody, 'sale_starts_at' | 'limit' | 'remaining'>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The `type` URI of a problem code. */
export function problemType(code: ProblemCode): string {
  return `/problems/${code}`;
}

export function problemBody(code: ProblemCode, detail: string, errors?: readonly FieldError[], members?: ProblemMembers): ProblemBody {
  const kind = PROBLEM_CATALOG[code];
  const body: ProblemBody = { type: problemType(code), title: kind.title, status: kind.status, detail, code, ...members };
  if (errors && errors.length > 0) body.errors = [...errors];
  return body;
}

const PROBLEM_HEADERS = { 'Content-Type': PROBLEM_CONTENT_TYPE } as const;

/** Renders a problem as the response of `c`, remembering its code for the request log. */
export function renderProblem(
  c: Context<AppEnv>,
  code: ProblemCode,
  detail: string,
  options: { errors?: readonly FieldError[] | undefined; headers?: Readonly<Record<string, string>> | undefined; members?: ProblemMembers | undefined } = {},
): Response {
  c.set('problemCode', code);
  const status = PROBLEM_CATALOG[code].status as ContentfulStatusCode;
  const text =
    (options.errors && options.errors.length > 0) || options.members ? JSON.stringify(problemBody(code, detail, options.errors, options.members)) : bareProblemText(code, detail);
  // A sold-out refusal is the commonest answer of a stampede. With its one header passed here,
  // Hono and the Node adapter keep a plain header object; c.header() would build a web Headers.
  if (!options.headers) return c.body(text, status, PROBLEM_HEADERS);
  for (const [name, value] of Object.entries(options.headers)) c.header(name, value);
  c.header('Content-Type', PROBLEM_CONTENT_TYPE);
  return c.body(text, status);
}

/**
 * Problems without field errors repeat: every sold-out refusal is the same text. The first few
 * dozen code-and-detail pairs are kept (details such as a retry time vary, so it stays bounded).
 */
const bareProblems = new Map<string, string>();
const MAX_KEPT = 64;

function bareProblemText(code: ProblemCode, detail: string): string {
  const key = `${code}\n${detail}`;
  let text = bareProblems.get(key);
  if (text === undefined) {
    text = JSON.stringify(problemBody(code, detail));
    if (bareProblems.size < MAX_KEPT) bareProblems.set(key, text);
  }
  return text;
}

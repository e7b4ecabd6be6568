import type { ProblemCode } from './catalog.js';

/** One field-level problem of an invalid request (RFC 9457 section 3 style "errors" member). */
export interface FieldError {
  /** Where the bad value was: the JSON body, the URL path, or a header. */
  in: 'body' | 'path' | 'header' | 'query';
  /** A JSON Pointer into the body (`#/qty`), or the name of the path parameter or header. */
  pointer: string;
  detail: string;
}

export interface HttpProblemOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * A refusal raised by the HTTP layer itself (bad signature, body too large, rate limited...).
 * Thrown anywhere in a request; the error handler renders it as application/problem+json.
 *
 * @example throw new HttpProblem('payload_too_large', 'The body may be at most 16384 bytes.');
 */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly code: ProblemCode;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(code: ProblemCode, detail: string, options: HttpProblemOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

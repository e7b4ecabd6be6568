import { HttpProblem } from './http-problem.js';

/** The refusals of a request body that cannot be read as JSON: the same words on every route. */
export const BODY_PROBLEM_DETAIL = {
  malformedJson: 'The request body is not valid JSON.',
  notJson: 'Send the body as JSON, with Content-Type: application/json.',
  tooLarge: (maxBytes: number) => `The request body may be at most ${maxBytes} bytes.`,
} as const;

export function malformedJson(): HttpProblem {
  return new HttpProblem('malformed_json', BODY_PROBLEM_DETAIL.malformedJson);
}

export function notJson(): HttpProblem {
  return new HttpProblem('unsupported_media_type', BODY_PROBLEM_DETAIL.notJson);
}

export function bodyTooLarge(maxBytes: number): HttpProblem {
  return new HttpProblem('payload_too_large', BODY_PROBLEM_DETAIL.tooLarge(maxBytes));
}

import type { ErrorCode } from '@flashsale/core';

/** Problems the HTTP layer raises itself, beside the engine's {@link ErrorCode}s. */
export type ServerProblemCode =
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'idempotency_key_missing'
  | 'payload_too_large'
  | 'invalid_signature'
  | 'unauthorized'
  | 'not_found'
  | 'rate_limited'
  | 'bad_request'
  | 'request_timeout'
  | 'header_fields_too_large'
  | 'internal_error'
  // Hold lifecycle: a read of a hold or an order without its hold's token.
  | 'hold_token_required'
  // Drops: buyer identity from a verified token.
  | 'buyer_unauthorized'
  | 'buyer_mismatch';

/** Every `code` a problem+json answer can carry. */
export type ProblemCode = ErrorCode | ServerProblemCode;

interface ProblemKind {
  status: number;
  title: string;
}

/**
 * THE one place where an error code becomes an HTTP status. `satisfies` makes a new core code a
 * compile error here until it is mapped.
 */
export const PROBLEM_CATALOG = {
  invalid_input: { status: 400, title: 'Invalid input' },
  product_not_found: { status: 404, title: 'Product not found' },
  insufficient_stock: { status: 409, title: 'Insufficient stock' },
  invalid_hold: { status: 403, title: 'Invalid hold or token' },
  hold_expired: { status: 400, title: 'Hold expired' },
  hold_used: { status: 400, title: 'Hold already used' },
  order_not_found: { status: 404, title: 'Order not found' },
  payment_conflict: { status: 409, title: 'Conflicting payment outcome' },
  idempotency_key_reuse: { status: 422, title: 'Idempotency key reused' },
  idempotency_in_flight: { status: 409, title: 'Request with this idempotency key in progress' },
  storage_unavailable: { status: 503, title: 'Storage unavailable' },
  malformed_json: { status: 400, title: 'Malformed JSON' },
  // 400 rather than 415: the original API answers every unreadable body with 400 "invalid input".
  unsupported_media_type: { status: 400, title: 'Unsupported media type' },
  idempotency_key_missing: { status: 400, title: 'Idempotency-Key header missing' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  invalid_signature: { status: 401, title: 'Invalid webhook signature' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  not_found: { status: 404, title: 'Not found' },
  rate_limited: { status: 429, title: 'Too many requests' },
  // Refusals Node's HTTP parser and timers make before any route runs (see node-http/client-error.ts).
  bad_request: { status: 400, title: 'Bad request' },
  request_timeout: { status: 408, title: 'Request timeout' },
  header_fields_too_large: { status: 431, title: 'Request header fields too large' },
  internal_error: { status: 500, title: 'Internal server error' },
  // Hold lifecycle: the buyer's side of a hold.
  hold_released: { status: 400, title: 'Hold released' },
  hold_extension_limit: { status: 409, title: 'Hold at its maximum lifetime' },
  // The same 403 for an unknown order and a wrong token, as invalid_hold is for holds.
  invalid_order: { status: 403, title: 'Invalid order or token' },
  hold_token_required: { status: 401, title: 'Hold-Token header required' },
  // Drops: the sale window, the per-buyer limit, buyer identity.
  sale_not_started: { status: 409, title: 'Sale not started' },
  sale_ended: { status: 409, title: 'Sale ended' },
  buyer_required: { status: 400, title: 'Buyer required' },
  buyer_limit_exceeded: { status: 409, title: 'Buyer limit exceeded' },
  invalid_sale_window: { status: 400, title: 'Invalid sale window' },
  buyer_unauthorized: { status: 401, title: 'Buyer not authenticated' },
  buyer_mismatch: { status: 403, title: 'Buyer does not match the token' },
} as const satisfies Record<ProblemCode, ProblemKind>;

/** True when `code` names a problem in the catalog. */
export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(PROBLEM_CATALOG, code);
}

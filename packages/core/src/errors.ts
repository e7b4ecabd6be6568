/** Every refusal the engine can give, as a stable machine code. The server maps these to HTTP. */
export const ERROR_CODES = [
  'invalid_input',
  'product_not_found',
  'insufficient_stock',
  'invalid_hold',
  'hold_expired',
  'hold_used',
  'order_not_found',
  'payment_conflict',
  'idempotency_key_reuse',
  'idempotency_in_flight',
  'storage_unavailable',
  // Hold lifecycle: the buyer's side of a hold (release, extend, read a hold or an order).
  'hold_released',
  'hold_extension_limit',
  'invalid_order',
  // Drops: the sale window and the per-buyer limit.
  'sale_not_started',
  'sale_ended',
  'buyer_required',
  'buyer_limit_exceeded',
  'invalid_sale_window',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

// Drops: the details of the refusals that carry some.
/**
 * `sale_not_started`: the instant the sale opens (epoch ms) and how long until then, measured when
 * the answer was made. `buyer_limit_exceeded`: the product's per-buyer limit and how many more
 * units this buyer may hold now.
 */
export type RefusalDetails = { startsAt: number; retryAfterMs: number } | { limit: number; remaining: number };

/** Field-level problems attached to `invalid_input`. */
export interface InputIssue {
  path: string;
  message: string;
}

/**
 * The one error type of the engine. Recognise it with {@link FlashSaleError.is}, which checks the
 * `code` property rather than `instanceof`, so two copies of this package still agree.
 *
 * @example
 * try { await sale.createHold({ productId: 1, qty: 2 }); }
 * catch (err) { if (FlashSaleError.is(err, 'insufficient_stock')) showSoldOut(); else throw err; }
 */
export class FlashSaleError extends Error {
  override readonly name = 'FlashSaleError';
  readonly code: ErrorCode;
  readonly issues: readonly InputIssue[];
  /** True when this refusal is the stored answer of an earlier request with the same idempotency key. */
  readonly replayed: boolean;
  // Drops: what a refusal of the window or the limit says beyond its code.
  /** `sale_not_started`: when the sale opens. `buyer_limit_exceeded`: the limit and what the buyer may still take. */
  readonly details: RefusalDetails | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { issues?: InputIssue[]; cause?: unknown; replayed?: boolean; details?: RefusalDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
    this.replayed = options.replayed ?? false;
    this.details = options.details;
  }

  /** True when `err` is a flashsale error (of the given code, if one is named). */
  static is(err: unknown, code?: ErrorCode): err is FlashSaleError {
    if (typeof err !== 'object' || err === null) return false;
    const candidate = err as { name?: unknown; code?: unknown };
    if (candidate.name !== 'FlashSaleError' || typeof candidate.code !== 'string') return false;
    return code === undefined || candidate.code === code;
  }
}

const MESSAGES: Record<ErrorCode, string> = {
  invalid_input: 'The request is not valid.',
  product_not_found: 'No product has that id.',
  insufficient_stock: 'Not enough stock is available for that quantity.',
  invalid_hold: 'Unknown hold or wrong token.',
  hold_expired: 'The hold has expired.',
  hold_used: 'The hold has already been turned into an order.',
  order_not_found: 'No order has that id.',
  payment_conflict: 'The order has already been settled with the opposite outcome.',
  idempotency_key_reuse: 'This idempotency key was already used with a different request.',
  idempotency_in_flight: 'A request with this idempotency key is still being processed.',
  storage_unavailable: 'Storage is unavailable; try again shortly.',
  // Hold lifecycle.
  hold_released: 'The hold was released: its stock is back on sale.',
  hold_extension_limit: 'The hold has reached its maximum lifetime and cannot be extended.',
  invalid_order: 'Unknown order or wrong token.',
  // Drops.
  sale_not_started: 'The sale of this product has not started yet.',
  sale_ended: 'The sale of this product has ended.',
  buyer_required: 'This product limits the units per buyer: the hold must name its buyer.',
  buyer_limit_exceeded: 'This hold would take the buyer past the per-buyer limit of this product.',
  invalid_sale_window: 'The sale must end after it starts.',
};

/** The standard message of a code. */
export function errorMessage(code: ErrorCode): string {
  return MESSAGES[code];
}

/**
 * Builds the error for `code` with its standard message. These are answers, not bugs: in a
 * sold-out stampede one is thrown per request, and capturing a stack trace for each cost about 6%
 * of the server's CPU, so they carry none (a driver error behind one is kept as its `cause`).
 */
export function flashSaleError(code: ErrorCode, options: { replayed?: boolean; cause?: unknown; details?: RefusalDetails } = {}): FlashSaleError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new FlashSaleError(code, MESSAGES[code], options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

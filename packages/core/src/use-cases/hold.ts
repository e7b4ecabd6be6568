import type { HoldAttempt, HoldCreated, HoldInput, HoldRefusal, HoldRefusalCode } from '../api.js';
import type { EngineContext } from '../engine-context.js';
import { errorMessage, flashSaleError, type RefusalDetails } from '../errors.js';
import { HoldCoalescer } from '../hold-coalescer.js';
import { openWithKey, sealWithKey } from '../idempotency.js';
import { idempotencyKeyFor, resolveReplay } from '../replay.js';
import type { ReserveOutcome } from '../store.js';
import { hashToken } from '../tokens.js';
import { holdInputSchema, isPlainHoldInput, parseInput } from '../validation.js';

/**
 * The hold path, the hot one of a stampede: `tryCreateHold` answers refusals as values, and every
 * hold request goes through the coalescer, which groups concurrent requests, for one product or
 * many, into one store call.
 */
export function holdUseCases(ctx: EngineContext): {
  tryCreateHold(input: HoldInput): Promise<HoldAttempt>;
  createHold(input: HoldInput): Promise<HoldCreated>;
  // Hold lifecycle: for the engine, not its public surface.
  stockReturned(productId: number): void;
} {
  const { settings, emit } = ctx;
  const coalescer = new HoldCoalescer(ctx.store, {
    maxBatch: settings.maxBatch,
    soldOutWindowMs: settings.soldOutWindowMs,
    onBatch: (size, productIds) => emit({ type: 'reserve_batch', size, productIds }),
  });
  const holdSchema = holdInputSchema(settings.maxHoldQty);

  async function tryCreateHold(input: HoldInput): Promise<HoldAttempt> {
    const { productId, qty, idempotencyKey, buyerId } = isPlainHoldInput(input, settings.maxHoldQty)
      ? { productId: input.productId, qty: input.qty, idempotencyKey: undefined, buyerId: input.buyerId }
      : parseInput(holdSchema, input);
    const now = ctx.clock();
    const token = ctx.generateToken();
    // The buyer is part of what the key stands for; a request without one keeps its old fingerprint.
    const fingerprinted = buyerId === undefined ? { productId, qty } : { productId, qty, buyerId };
    // The token rides with the stored answer, sealed under the raw key, so a retry gets it back.
    const key = idempotencyKey === undefined ? undefined : idempotencyKeyFor('hold', idempotencyKey, fingerprinted, sealWithKey(idempotencyKey, token));
    const result = await coalescer.reserve({
      productId,
      qty,
      tokenHash: hashToken(token),
      createdAt: now,
      expiresAt: now + settings.holdTtlMs,
      ...(key ? { idempotency: key } : {}),
      ...(buyerId === undefined ? {} : { buyerId }),
    });
    const resolved = resolveReplay('hold', result, key);
    if (!resolved) return holdRefusal('idempotency_key_reuse', false);
    const { outcome, replayed, attachment } = resolved;
    if (outcome.kind === 'refused') {
      emit({ type: 'hold_rejected', productId, reason: outcome.code });
      return refusalOf(outcome, replayed, ctx.clock);
    }
    const hold = outcome.hold;
    if (!replayed) emit({ type: 'hold_created', productId, qty });
    return {
      ok: true,
      hold: {
        holdId: hold.id,
        token: replayed && attachment !== undefined && idempotencyKey !== undefined ? openWithKey(idempotencyKey, attachment) : token,
        productId: hold.productId,
        qty: hold.qty,
        expiresAt: hold.expiresAt,
        replayed,
      },
    };
  }

  async function createHold(input: HoldInput): Promise<HoldCreated> {
    const attempt = await tryCreateHold(input);
    if (!attempt.ok) throw flashSaleError(attempt.code, { replayed: attempt.replayed, ...detailsOf(attempt) });
    return attempt.hold;
  }

  return { tryCreateHold, createHold, stockReturned: (productId) => coalescer.stockReturned(productId) };
}

/** The refusals without details, built once: in a sold-out stampede every request gets one. */
const HOLD_REFUSALS = new Map(
  (['insufficient_stock', 'product_not_found', 'idempotency_key_reuse', 'sale_ended', 'buyer_required'] as const).flatMap((code) =>
    [false, true].map((replayed) => [`${code}:${replayed}`, Object.freeze({ ok: false, code, message: errorMessage(code), replayed })] as const),
  ),
);

type PlainRefusalCode = Exclude<HoldRefusalCode, 'sale_not_started' | 'buyer_limit_exceeded'>;

/** A hold refusal as the value `tryCreateHold` returns (never thrown). */
function holdRefusal(code: PlainRefusalCode, replayed: boolean): HoldAttempt {
  return HOLD_REFUSALS.get(`${code}:${replayed}`)!;
}

/** The store's refusal as the engine answers it: with its details, and how long until an opening by `clock`. */
function refusalOf(outcome: Extract<ReserveOutcome, { kind: 'refused' }>, replayed: boolean, clock: () => number): HoldRefusal {
  switch (outcome.code) {
    case 'sale_not_started': {
      const { code, startsAt } = outcome;
      return { ok: false, code, message: errorMessage(code), replayed, startsAt, retryAfterMs: Math.max(0, startsAt - clock()) };
    }
    case 'buyer_limit_exceeded': {
      const { code, limit, remaining } = outcome;
      return { ok: false, code, message: errorMessage(code), replayed, limit, remaining };
    }
    default:
      return holdRefusal(outcome.code, replayed) as HoldRefusal;
  }
}

/** The thrown error's `details` for a refusal that has some. */
function detailsOf(refusal: HoldRefusal): { details?: RefusalDetails } {
  if (refusal.code === 'sale_not_started') return { details: { startsAt: refusal.startsAt, retryAfterMs: refusal.retryAfterMs } };
  if (refusal.code === 'buyer_limit_exceeded') return { details: { limit: refusal.limit, remaining: refusal.remaining } };
  return {};
}

import type { FlashSale, HoldExtended, HoldReleased, HoldState, HoldTokenInput, OrderState, OrderTokenInput } from '../api.js';
import type { EngineContext } from '../engine-context.js';
import { flashSaleError } from '../errors.js';
import { toHoldState, toOrderCreated } from '../records.js';
import { hashToken } from '../tokens.js';
import { holdTokenInputSchema, orderTokenInputSchema, parseInput } from '../validation.js';

type HoldLifecycle = Pick<FlashSale, 'releaseHold' | 'extendHold' | 'getHold' | 'getOrder'>;

interface HoldLifecycleDeps {
  /** Tells this process's sold-out memory that a product has stock again. */
  stockReturned(productId: number): void;
}

/**
 * The buyer's side of a hold: give it back, extend it, read where it or its order stands. Each
 * call is one store unit that checks the token on the row it decides on.
 */
export function holdLifecycleUseCases(ctx: EngineContext, deps: HoldLifecycleDeps): HoldLifecycle {
  const { store, settings } = ctx;

  async function releaseHold(input: HoldTokenInput): Promise<HoldReleased> {
    const { holdId, token } = parseInput(holdTokenInputSchema, input);
    const outcome = await store.releaseHold({ holdId, tokenHash: hashToken(token), now: ctx.clock() });
    if (outcome.kind === 'refused') throw flashSaleError(outcome.code);
    const { hold, effect } = outcome;
    if (effect === 'released') {
      deps.stockReturned(hold.productId);
      ctx.emit({ type: 'stock_released', cause: 'released', units: hold.qty });
    }
    return { holdId: hold.id, productId: hold.productId, qty: hold.qty, status: 'released', effect };
  }

  async function extendHold(input: HoldTokenInput): Promise<HoldExtended> {
    const { holdId, token } = parseInput(holdTokenInputSchema, input);
    const outcome = await store.extendHold({
      holdId,
      tokenHash: hashToken(token),
      now: ctx.clock(),
      ttlMs: settings.holdTtlMs,
      maxLifetimeMs: settings.holdMaxLifetimeMs,
    });
    if (outcome.kind === 'refused') throw flashSaleError(outcome.code);
    return { holdId: outcome.hold.id, expiresAt: outcome.hold.expiresAt };
  }

  async function getHold(input: HoldTokenInput): Promise<HoldState> {
    const { holdId, token } = parseInput(holdTokenInputSchema, input);
    const reading = await store.getHold({ holdId, tokenHash: hashToken(token), now: ctx.clock() });
    if (reading.kind === 'refused') throw flashSaleError(reading.code);
    return toHoldState(reading.hold, reading.orderId);
  }

  async function getOrder(input: OrderTokenInput): Promise<OrderState> {
    const { orderId, token } = parseInput(orderTokenInputSchema, input);
    const reading = await store.getOrder({ orderId, tokenHash: hashToken(token) });
    if (reading.kind === 'refused') throw flashSaleError(reading.code);
    const { replayed: _replayed, ...order } = toOrderCreated(reading.order, false);
    return order;
  }

  return { releaseHold, extendHold, getHold, getOrder };
}

import fc from 'fast-check';

/**
 * A random history is plain data: the products it starts with and a list of commands. Commands
 * name things by position ("the 3rd hold so far", modulo how many there are) rather than by id,
 * so a history stays meaningful when fast-check shrinks it by dropping commands, and a shrunk
 * counterexample can be pasted into `regressions.ts` as it is printed.
 */

/** Which existing product, hold or order a command means. */
export type Ref = { pick: number } | 'latest' | 'unknown' | 'invalid';

/**
 * none: no key. fresh: a key never used. repeat: send an earlier keyed request of this use case
 * again, unchanged (a replay). reuse: an earlier key of this use case with this command's own
 * body (a replay if the bodies happen to agree, else key reuse). foreign: a key used by another
 * use case (keys are per use case, so it acts as new). invalid: a key the validation refuses.
 */
export type KeyChoice = 'none' | 'fresh' | { repeat: number } | { reuse: number } | { foreign: number } | 'invalid';

export type Command =
  | { type: 'hold'; product: Ref; qty: number; key: KeyChoice }
  | { type: 'order'; hold: Ref; token: 'right' | 'wrong' | 'other' | 'empty'; key: KeyChoice }
  | { type: 'pay'; order: Ref; status: 'success' | 'failed'; txnId: string | null; key: Exclude<KeyChoice, 'none'> }
  | { type: 'advance'; ms: number }
  /** Moves the clock to the next moment something runs out, or `offset` ms from it. */
  | { type: 'advance-to-deadline'; offset: -1 | 0 }
  | { type: 'release' }
  | { type: 'restock'; product: Ref; qty: number }
  /** A hold and then its order with the right token, unkeyed: the common path, so later payments have orders to act on. */
  | { type: 'checkout'; product: Ref; qty: number }
  /** Reads every product (and an unknown and an invalid id) and compares them. */
  | { type: 'inspect' }
  /** Several holds on one product at once: the engine promises arrival order, so checked exactly. */
  | { type: 'burst'; product: Ref; qtys: number[]; keyed: boolean }
  /** Up to 5 commands at once; a `copy` repeats an earlier one of the batch exactly (same key). */
  | { type: 'batch'; commands: BatchCommand[] }
  // Hold lifecycle: the buyer gives a hold back, extends it, reads it or its order.
  | { type: 'release-hold'; hold: Ref; token: TokenChoice }
  | { type: 'extend-hold'; hold: Ref; token: TokenChoice }
  | { type: 'read-hold'; hold: Ref; token: TokenChoice }
  /** `right` is the token of the order's hold. */
  | { type: 'read-order'; order: Ref; token: TokenChoice }
  | DropCommand;

/** Which token a request carries: the hold's own, a well-formed stranger, another hold's, an empty one. */
export type TokenChoice = 'right' | 'wrong' | 'other' | 'empty';

export type BatchCommand =
  | Extract<Command, { type: 'hold' | 'order' | 'pay' | 'release' | 'restock' | 'buyer-hold' }>
  | { type: 'copy'; of: number }
  // Hold lifecycle.
  | Extract<Command, { type: 'release-hold' | 'extend-hold' | 'read-hold' | 'read-order' }>;

// Drops: holds that name a buyer, a product's window and limit changed, the clock moved to an edge.
/** Buyer `n` of a few (so limits are met), no buyer, or an id the validation refuses. */
export type BuyerChoice = number | 'none' | 'invalid';

export type DropCommand =
  | { type: 'buyer-hold'; product: Ref; qty: number; buyer: BuyerChoice; key: KeyChoice }
  /**
   * Changes a product's window and limit: instants as offsets from now (negative: in the past),
   * absent keeps the stored value, null clears it. An end at or before the start is refused.
   */
  | { type: 'set-drop'; product: Ref; changes: { startsIn?: number | null; endsIn?: number | null; maxPerBuyer?: number | null } }
  /** Moves the clock to the next instant a sale opens or ends, or 1 ms before it. */
  | { type: 'advance-to-sale-edge'; offset: -1 | 0 }
  /** A buyer's hold and then its order, unkeyed: orders of buyers, so their payments and expiries change what counts. */
  | { type: 'buyer-checkout'; product: Ref; qty: number; buyer: number }
  /** Holds from several buyers on one product at once, checked in arrival order. */
  | { type: 'buyer-burst'; product: Ref; asks: { qty: number; buyer: number }[] };

export interface History {
  products: { stock: number; priceCents: number }[];
  /**
   * Rows released per store call: small values exercise the engine's release loop. Histories with
   * concurrent batches use 500 (more than a history creates), so a pass is one release call and
   * one purge call, the two atomic halves the linearizability check knows; with small values a
   * pass is many calls, and other requests may see any point between them.
   */
  releaseBatch: number;
  commands: Command[];
}

/** The engine settings every history runs with (the model gets the same). */
export const HISTORY_SETTINGS = {
  holdTtlMs: 60_000,
  paymentTtlMs: 120_000,
  idempotencyTtlMs: 400_000,
  // Low, so "above the maximum" (invalid_input) and "above the stock" (insufficient_stock) both occur.
  maxHoldQty: 50,
  // Hold lifecycle: two and a half lifetimes, so extensions reach the cap within a history.
  holdMaxLifetimeMs: 150_000,
} as const;

const ref: fc.Arbitrary<Ref> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ pick: fc.nat(20) }) },
  { weight: 5, arbitrary: fc.constant('latest' as const) },
  { weight: 1, arbitrary: fc.constantFrom('unknown' as const, 'invalid' as const) },
);

// Mostly small quantities, some above a product's stock, a few that validation must refuse.
const qty = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 5 }) },
  { weight: 3, arbitrary: fc.integer({ min: 6, max: 25 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, HISTORY_SETTINGS.maxHoldQty + 1, 1e9) },
);

const key: fc.Arbitrary<KeyChoice> = fc.oneof(
  { weight: 4, arbitrary: fc.constant('fresh' as const) },
  { weight: 3, arbitrary: fc.record({ repeat: fc.nat(20) }) },
  { weight: 2, arbitrary: fc.record({ reuse: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ foreign: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.constant('invalid' as const) },
);
const optionalKey: fc.Arbitrary<KeyChoice> = fc.oneof({ weight: 3, arbitrary: fc.constant('none' as const) }, { weight: 4, arbitrary: key });

const hold = fc.record({ type: fc.constant('hold' as const), product: ref, qty, key: optionalKey });
const order = fc.record({
  type: fc.constant('order' as const),
  hold: ref,
  token: fc.oneof({ weight: 8, arbitrary: fc.constant('right' as const) }, { weight: 2, arbitrary: fc.constantFrom('wrong' as const, 'other' as const, 'empty' as const) }),
  key: optionalKey,
});
const pay = fc.record({
  type: fc.constant('pay' as const),
  order: ref,
  status: fc.oneof({ weight: 3, arbitrary: fc.constant('success' as const) }, { weight: 2, arbitrary: fc.constant('failed' as const) }),
  txnId: fc.constantFrom(null, 'TXN-A', 'TXN-B'),
  key: key as fc.Arbitrary<Exclude<KeyChoice, 'none'>>,
});
const checkout = fc.record({ type: fc.constant('checkout' as const), product: ref, qty: fc.integer({ min: 1, max: 4 }) });
const release = fc.constant({ type: 'release' as const });
const restock = fc.record({ type: fc.constant('restock' as const), product: ref, qty: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constant(0)) });
const advance = fc.oneof(
  fc.record({
    type: fc.constant('advance' as const),
    ms: fc.oneof(
      fc.constantFrom(1, 1_000, HISTORY_SETTINGS.holdTtlMs - 1, HISTORY_SETTINGS.holdTtlMs, HISTORY_SETTINGS.paymentTtlMs, HISTORY_SETTINGS.idempotencyTtlMs + 1),
      fc.integer({ min: 1, max: 200_000 }),
    ),
  }),
  fc.record({ type: fc.constant('advance-to-deadline' as const), offset: fc.constantFrom(-1 as const, 0 as const) }),
);

// Hold lifecycle: mostly the hold's own token, so most requests reach the hold's state.
const holdToken: fc.Arbitrary<TokenChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.constant('right' as const) },
  { weight: 2, arbitrary: fc.constantFrom('wrong' as const, 'other' as const, 'empty' as const) },
);
const releaseHold = fc.record({ type: fc.constant('release-hold' as const), hold: ref, token: holdToken });
const extendHold = fc.record({ type: fc.constant('extend-hold' as const), hold: ref, token: holdToken });
const readHold = fc.record({ type: fc.constant('read-hold' as const), hold: ref, token: holdToken });
const readOrder = fc.record({ type: fc.constant('read-order' as const), order: ref, token: holdToken });
// Drops.
const BUYERS = 3;
const buyer: fc.Arbitrary<BuyerChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.nat(BUYERS - 1) },
  { weight: 2, arbitrary: fc.constant('none' as const) },
  { weight: 1, arbitrary: fc.constant('invalid' as const) },
);
// Mostly small, so a buyer meets the limit within a few holds; sometimes any qty.
const buyerQty = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 3 }) }, { weight: 1, arbitrary: qty });
const buyerHold = fc.record({ type: fc.constant('buyer-hold' as const), product: ref, qty: buyerQty, buyer, key: optionalKey });
const instantOffset = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.integer({ min: -5_000, max: 0 }) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 200_000 }) },
);
const setDrop = fc.record({
  type: fc.constant('set-drop' as const),
  product: ref,
  changes: fc.record(
    {
      startsIn: instantOffset,
      endsIn: instantOffset,
      maxPerBuyer: fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constant(0) }),
    },
    { requiredKeys: [] },
  ),
});
const buyerCheckout = fc.record({ type: fc.constant('buyer-checkout' as const), product: ref, qty: fc.integer({ min: 1, max: 3 }), buyer: fc.nat(BUYERS - 1) });
const saleEdge = fc.record({ type: fc.constant('advance-to-sale-edge' as const), offset: fc.constantFrom(-1 as const, 0 as const) });
const buyerBurst = fc.record({
  type: fc.constant('buyer-burst' as const),
  product: ref,
  asks: fc.array(fc.record({ qty: fc.integer({ min: 1, max: 3 }), buyer: fc.nat(BUYERS - 1) }), { minLength: 2, maxLength: 12 }),
});

const batchCommand: fc.Arbitrary<BatchCommand> = fc.oneof(
  { weight: 4, arbitrary: hold },
  { weight: 3, arbitrary: order },
  { weight: 4, arbitrary: pay },
  { weight: 1, arbitrary: release },
  { weight: 1, arbitrary: restock },
  { weight: 4, arbitrary: fc.record({ type: fc.constant('copy' as const), of: fc.nat(4) }) },
  // Hold lifecycle.
  { weight: 3, arbitrary: releaseHold },
  { weight: 2, arbitrary: extendHold },
  { weight: 1, arbitrary: readHold },
  { weight: 1, arbitrary: readOrder },
  { weight: 3, arbitrary: buyerHold },
);

const batch = fc.record({ type: fc.constant('batch' as const), commands: fc.array(batchCommand, { minLength: 2, maxLength: 5 }) });
const burst = fc.record({
  type: fc.constant('burst' as const),
  product: ref,
  qtys: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 12 }),
  keyed: fc.boolean(),
});

const serialCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 5, arbitrary: hold },
  { weight: 4, arbitrary: order },
  { weight: 3, arbitrary: checkout },
  { weight: 7, arbitrary: pay },
  { weight: 5, arbitrary: advance },
  { weight: 3, arbitrary: release },
  { weight: 1, arbitrary: restock },
  { weight: 1, arbitrary: fc.constant({ type: 'inspect' as const }) },
  // Hold lifecycle.
  { weight: 2, arbitrary: releaseHold },
  { weight: 2, arbitrary: extendHold },
  { weight: 1, arbitrary: readHold },
  { weight: 1, arbitrary: readOrder },
  { weight: 4, arbitrary: buyerHold },
  { weight: 3, arbitrary: buyerCheckout },
  { weight: 3, arbitrary: setDrop },
  { weight: 2, arbitrary: saleEdge },
);

const concurrentCommand: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: serialCommand },
  { weight: 2, arbitrary: burst },
  { weight: 5, arbitrary: batch },
  { weight: 2, arbitrary: buyerBurst },
);

/** Histories of one-at-a-time commands, or (`concurrent`) with bursts and batches mixed in. */
export function historyArbitrary(options: { concurrent: boolean; maxCommands: number }): fc.Arbitrary<History> {
  return fc.record({
    products: fc.array(fc.record({ stock: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 4, max: 30 })), priceCents: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999_999 })) }), {
      minLength: 1,
      maxLength: 3,
    }),
    releaseBatch: options.concurrent ? fc.constant(500) : fc.constantFrom(1, 2, 500),
    // size 'max': lengths spread over the whole range, not only short histories.
    commands: fc.array(options.concurrent ? concurrentCommand : serialCommand, { maxLength: options.maxCommands, size: 'max' }),
  });
}

import type { FlashSaleOptions } from './api.js';

/** The engine's settings with every default filled in, as `sale.options` shows them. */
export interface EngineSettings {
  holdTtlMs: number;
  paymentTtlMs: number;
  idempotencyTtlMs: number;
  maxHoldQty: number;
  maxBatch: number;
  releaseBatch: number;
  soldOutWindowMs: number;
  // Hold lifecycle: how far extensions may push a hold's expiry, counted from its creation.
  holdMaxLifetimeMs: number;
  // Events for the merchant: how long they are kept before a release pass purges them.
  eventRetentionMs: number;
}

export const ENGINE_DEFAULTS: Readonly<EngineSettings> = Object.freeze({
  holdTtlMs: 120_000,
  paymentTtlMs: 900_000,
  idempotencyTtlMs: 86_400_000,
  maxHoldQty: 1_000_000,
  maxBatch: 256,
  releaseBatch: 500,
  soldOutWindowMs: 10,
  // Hold lifecycle.
  holdMaxLifetimeMs: 600_000,
  // Events for the merchant: 7 days.
  eventRetentionMs: 604_800_000,
});

/** Settings that may be 0 (turned off); every other one must be at least 1. */
const MAY_BE_ZERO: ReadonlySet<keyof EngineSettings> = new Set(['soldOutWindowMs']);

/** Fills in the defaults and checks every setting: a wrong one is a `RangeError` naming it. */
export function resolveSettings(options: FlashSaleOptions): EngineSettings {
  const settings = { ...ENGINE_DEFAULTS };
  for (const name of Object.keys(ENGINE_DEFAULTS) as (keyof EngineSettings)[]) {
    const value = options[name] ?? ENGINE_DEFAULTS[name];
    const least = MAY_BE_ZERO.has(name) ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least) {
      throw new RangeError(`${name} must be ${least === 0 ? 'a non-negative' : 'a positive'} integer, got ${value}`);
    }
    settings[name] = value;
  }
  // Hold lifecycle: a maximum lifetime shorter than one lifetime could not be honoured. Left
  // unset, it is the default or the hold lifetime, whichever is longer, so a configuration that
  // only sets a long `holdTtlMs` (30 minutes, say) stays valid: its holds then cannot be extended.
  if (options.holdMaxLifetimeMs === undefined) settings.holdMaxLifetimeMs = Math.max(settings.holdMaxLifetimeMs, settings.holdTtlMs);
  else if (settings.holdMaxLifetimeMs < settings.holdTtlMs) {
    throw new RangeError(`holdMaxLifetimeMs must be at least holdTtlMs (${settings.holdTtlMs}), got ${settings.holdMaxLifetimeMs}`);
  }
  return settings;
}

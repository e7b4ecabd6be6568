import { createFlashSale, FlashSaleError, type FlashSaleStore } from '@flashsale/core';
import type { HoldRunner } from '../hold-runner.js';

/** The engine's own path: `createHold`, batched per product by the hold coalescer. */
export function coalescedRunner(store: FlashSaleStore): HoldRunner {
  const engine = createFlashSale({ store, holdTtlMs: 30 * 60_000 });
  return {
    strategy: 'coalesced',
    kind: 'engine',
    async hold(productId, qty) {
      try {
        await engine.createHold({ productId, qty });
        return true;
      } catch (error) {
        if (FlashSaleError.is(error, 'insufficient_stock')) return false;
        throw error;
      }
    },
  };
}

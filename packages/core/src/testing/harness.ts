import { afterEach, expect } from 'vitest';
import type { FlashSale, FlashSaleOptions } from '../api.js';
import { createFlashSale } from '../engine.js';
import type { FlashSaleStore } from '../store.js';
import { manualClock, type ManualClock } from './manual-clock.js';

/** What an adapter gives the conformance suite. */
export interface StoreHarness {
  /** Shown in test names, such as "sqlite (memory)". */
  name: string;
  /** A fresh, empty, migrated store for one test. */
  createStore(): FlashSaleStore | Promise<FlashSaleStore>;
  /**
   * Changes a product's available stock behind the engine's back, by `delta` units, with raw SQL.
   * The suite uses it to prove that `verify` catches a corrupted row.
   */
  tamperAvailable(store: FlashSaleStore, productId: number, delta: number): Promise<void>;
  /** Frees what `createStore` made (drops a schema, deletes a file). Called after `close()`. */
  destroyStore?(store: FlashSaleStore): Promise<void>;
}

export interface SaleUnderTest {
  sale: FlashSale;
  store: FlashSaleStore;
  clock: ManualClock;
  /** Makes a product and returns its id. */
  product(stock: number, price?: string): Promise<number>;
}

/**
 * Opens a store and an engine on a manual clock for one test. After the test the invariants of
 * the inventory invariants must hold (unless the test tampered on purpose), then everything is closed.
 */
export function useSale(harness: StoreHarness): (options?: Partial<FlashSaleOptions> & { tampered?: boolean }) => Promise<SaleUnderTest> {
  const open: { sale: FlashSale; store: FlashSaleStore; tampered: boolean }[] = [];
  afterEach(async () => {
    const opened = open.splice(0);
    for (const { sale, store, tampered } of opened) {
      try {
        if (!tampered) expect((await sale.verify()).violations).toEqual([]);
      } finally {
        await sale.close();
        await harness.destroyStore?.(store);
      }
    }
  });
  return async (options = {}) => {
    const store = await harness.createStore();
    const clock = manualClock();
    const { tampered = false, ...rest } = options;
    const sale = createFlashSale({ store, clock, ...rest });
    open.push({ sale, store, tampered });
    return {
      sale,
      store,
      clock,
      product: async (stock, price = '10.00') => (await sale.createProduct({ name: 'Test product', price, stock })).id,
    };
  };
}

/** Settles every promise and splits the results. */
export async function settle<T>(work: Promise<T>[]): Promise<{ ok: T[]; errors: unknown[] }> {
  const results = await Promise.allSettled(work);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : [])),
  };
}

/** The `code` of each error, for asserting what went wrong. */
export const codes = (errors: unknown[]) => errors.map((e) => (e as { code?: unknown }).code);

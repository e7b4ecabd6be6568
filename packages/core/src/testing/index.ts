import { describe } from 'vitest';
import { auditCases } from './cases/audit.js';
import { batchReserveCases } from './cases/batch-reserve.js';
import { dropCases } from './cases/drops.js';
import { eventDeliveryCases } from './cases/event-delivery.js';
import { expiryCases } from './cases/expiry.js';
import { groupedWriteCases } from './cases/grouped-writes.js';
import { holdLifecycleCases } from './cases/hold-lifecycle.js';
import { idempotencyCases } from './cases/idempotency.js';
import { manyProductCases } from './cases/many-products.js';
import { merchantEventCases } from './cases/merchant-events.js';
import { orderCases } from './cases/orders.js';
import { paymentCases } from './cases/payments.js';
import { productAndHoldCases } from './cases/products-and-holds.js';
import { raceCases } from './cases/races.js';
import { soldOutCases } from './cases/sold-out.js';
import { textCases } from './cases/text.js';
import { tryCreateHoldCases } from './cases/try-create-hold.js';
import { useSale, type StoreHarness } from './harness.js';
import type { FlashSaleStore } from '../store.js';

export interface ConformanceHarness extends StoreHarness {
  /**
   * A second, independent connection to the same database as `store`, for races across
   * connections. Leave it out where the database cannot be shared (SQLite `:memory:`).
   */
  connectAgain?(store: FlashSaleStore): Promise<FlashSaleStore>;
}

/**
 * The behaviour every storage adapter must have, as a vitest suite. Call it from the adapter's
 * own test file; each test gets a fresh store and is checked with `verify` afterwards.
 *
 * @example
 * // packages/adapter-sqlite/test/conformance.test.ts
 * import { runStoreConformance } from '@flashsale/core/testing';
 * runStoreConformance({
 *   name: 'sqlite (memory)',
 *   createStore: () => openSqliteStore({ filename: ':memory:' }),
 *   tamperAvailable: async (store, id, delta) => { (store as SqliteStore).db.prepare('UPDATE …').run(delta, id); },
 * });
 */
export function runStoreConformance(harness: ConformanceHarness): void {
  describe(`store conformance: ${harness.name}`, () => {
    const setup = useSale(harness);
    productAndHoldCases(setup);
    orderCases(setup);
    paymentCases(setup);
    idempotencyCases(setup);
    raceCases(setup, harness.connectAgain);
    expiryCases(setup, harness.connectAgain);
    soldOutCases(setup);
    tryCreateHoldCases(setup);
    batchReserveCases(setup);
    manyProductCases(setup);
    textCases(setup);
    auditCases(setup, harness.tamperAvailable);
    holdLifecycleCases(setup, harness.connectAgain);
    dropCases(setup, harness.connectAgain);
    groupedWriteCases(setup);
    merchantEventCases(setup, harness.connectAgain);
    eventDeliveryCases(setup, harness.connectAgain);
  });
}

export { manualClock, type ManualClock } from './manual-clock.js';
export { openMemoryStore, type MemoryStore } from './memory-store.js';
export { settle, codes, type StoreHarness, type SaleUnderTest } from './harness.js';
export { seededRandom, randomInt } from './cases/random.js';
export { runModelBasedTests, type ModelBasedHarness } from './model/index.js';

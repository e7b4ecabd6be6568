import type { FlashSaleStore } from '@flashsale/core';
import { runStoreConformance } from '@flashsale/core/testing';
import { afterAll, describe } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { closeTestStore, endAdminPool, openTestStore, PG_URL, tamperAvailable } from './support/test-database.js';

// Every test of the suite gets a store on a schema of its own, checked for leaked connections and
// dropped afterwards, so files and tests never see each other's rows.
describe.skipIf(!PG_URL)('postgres', () => {
  afterAll(endAdminPool);

  runStoreConformance({
    name: 'postgres',
    createStore: () => openTestStore(),
    connectAgain: async (store) => openTestStore({ schema: (store as PostgresStore).schema, migrate: false }),
    tamperAvailable: (store, productId, delta) => tamperAvailable(store as PostgresStore, productId, delta),
    destroyStore: (store: FlashSaleStore) => closeTestStore(store as PostgresStore),
  });
});

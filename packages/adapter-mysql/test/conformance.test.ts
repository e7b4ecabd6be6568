import type { FlashSaleStore } from '@flashsale/core';
import { runStoreConformance } from '@flashsale/core/testing';
import { afterAll, describe } from 'vitest';
import type { MysqlStore } from '../src/index.js';
import { closeTestStore, endAdminPool, MYSQL_URL, openTestStore, tamperAvailable } from './support/test-database.js';

// Every test of the suite gets a store on a database of its own, checked for leaked connections
// and dropped afterwards, so files and tests never see each other's rows.
describe.skipIf(!MYSQL_URL)('mysql', () => {
  afterAll(endAdminPool);

  runStoreConformance({
    name: 'mysql',
    createStore: () => openTestStore(),
    connectAgain: async (store) => openTestStore({ database: (store as MysqlStore).database, migrate: false }),
    tamperAvailable: (store, productId, delta) => tamperAvailable(store as MysqlStore, productId, delta),
    destroyStore: (store: FlashSaleStore) => closeTestStore(store as MysqlStore),
  });
});

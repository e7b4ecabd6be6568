import { runModelBasedTests } from '@flashsale/core/testing';
import { afterAll, describe } from 'vitest';
import type { MysqlStore } from '../src/index.js';
import { closeTestStore, endAdminPool, MYSQL_URL, openTestStore } from './support/test-database.js';

// Set FLASHSALE_TEST_MYSQL_URL (e.g. mysql://root@127.0.0.1:3306/test) to run these.
// Every random history gets a store on a fresh database, checked for leaked connections and dropped.
describe.skipIf(!MYSQL_URL)('mysql', () => {
  afterAll(endAdminPool);

  runModelBasedTests({
    name: 'mysql',
    createStore: () => openTestStore(),
    destroyStore: (store) => closeTestStore(store as MysqlStore),
  });
});

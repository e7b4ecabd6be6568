import { runModelBasedTests } from '@flashsale/core/testing';
import { afterAll, describe } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { closeTestStore, endAdminPool, openTestStore, PG_URL } from './support/test-database.js';

// Set FLASHSALE_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run these.
// Every random history gets a store on a fresh schema, checked for leaked connections and dropped.
describe.skipIf(!PG_URL)('postgres', () => {
  afterAll(endAdminPool);

  runModelBasedTests({
    name: 'postgres',
    createStore: () => openTestStore(),
    destroyStore: (store) => closeTestStore(store as PostgresStore),
    // The release pass takes due rows FOR UPDATE SKIP LOCKED: a row a concurrent request holds
    // locked is left for the next pass, which the concurrent check must allow.
  });
});

import type { FlashSaleStore } from '@flashsale/core';
import { runModelBasedTests } from '@flashsale/core/testing';
import { openSqliteStore } from '../src/index.js';
import { tempDatabase } from './temp-db.js';

// In memory a history costs a few milliseconds: the cheapest place to explore many of them.
runModelBasedTests({
  name: 'sqlite (:memory:)',
  createStore: () => openSqliteStore({ filename: ':memory:' }),
  runs: 150,
});

const files = new Map<FlashSaleStore, () => void>();
runModelBasedTests({
  name: 'sqlite (file)',
  createStore: () => {
    const db = tempDatabase();
    const store = openSqliteStore({ filename: db.filename });
    files.set(store, db.remove);
    return store;
  },
  destroyStore: async (store) => {
    files.get(store)?.();
    files.delete(store);
  },
});

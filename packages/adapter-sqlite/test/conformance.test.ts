import type { FlashSaleStore } from '@flashsale/core';
import { runStoreConformance } from '@flashsale/core/testing';
import { openSqliteStore, type SqliteStore } from '../src/index.js';
import { tempDatabase } from './temp-db.js';

const tamperAvailable = async (store: FlashSaleStore, productId: number, delta: number) => {
  (store as SqliteStore).db.prepare('UPDATE products SET available = available + ? WHERE id = ?').run(delta, productId);
};

runStoreConformance({
  name: 'sqlite (:memory:)',
  createStore: () => openSqliteStore({ filename: ':memory:' }),
  tamperAvailable,
});

const files = new Map<FlashSaleStore, () => void>();
runStoreConformance({
  name: 'sqlite (file)',
  createStore: () => {
    const db = tempDatabase();
    const store = openSqliteStore({ filename: db.filename });
    files.set(store, db.remove);
    return store;
  },
  connectAgain: async (store) => openSqliteStore({ filename: (store as SqliteStore).db.name }),
  tamperAvailable,
  destroyStore: async (store) => {
    files.get(store)?.();
    files.delete(store);
  },
});

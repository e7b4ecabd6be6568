import type { FlashSaleStore } from '@flashsale/core';
import { runStoreConformance } from '@flashsale/core/testing';
import { openSqliteStore, type SqliteStore } from '../src/index.js';
import { fileStores } from './temp-db.js';

const tamperAvailable = async (store: FlashSaleStore, productId: number, delta: number) => {
  (store as SqliteStore).db.prepare('UPDATE products SET available = available + ? WHERE id = ?').run(delta, productId);
};

runStoreConformance({
  name: 'sqlite (:memory:)',
  createStore: () => openSqliteStore({ filename: ':memory:' }),
  tamperAvailable,
});

runStoreConformance({
  name: 'sqlite (file)',
  ...fileStores(),
  connectAgain: async (store) => openSqliteStore({ filename: (store as SqliteStore).db.name }),
  tamperAvailable,
});

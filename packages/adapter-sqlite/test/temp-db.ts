import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlashSaleStore } from '@flashsale/core';
import { openSqliteStore, type SqliteStore } from '../src/index.js';

/** A database path in a fresh temporary folder, and a way to delete it with its WAL files. */
export function tempDatabase(): { filename: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flashsale-sqlite-'));
  return { filename: join(dir, 'flashsale.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * createStore / destroyStore for the shared suites: each store on its own temporary file, deleted
 * with its WAL files when the suite is done with it.
 */
export function fileStores(): { createStore(): SqliteStore; destroyStore(store: FlashSaleStore): Promise<void> } {
  const removers = new Map<FlashSaleStore, () => void>();
  return {
    createStore: () => {
      const db = tempDatabase();
      const store = openSqliteStore({ filename: db.filename });
      removers.set(store, db.remove);
      return store;
    },
    destroyStore: async (store) => {
      removers.get(store)?.();
      removers.delete(store);
    },
  };
}

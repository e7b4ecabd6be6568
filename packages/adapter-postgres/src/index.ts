export { openPostgresStore } from './postgres-store.js';
export type { PostgresStore } from './postgres-store.js';
export { DEFAULT_POOL_SIZE } from './options.js';
export type { PostgresStoreOptions } from './options.js';
export { migrate, latestVersion } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';

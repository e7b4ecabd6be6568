export { openMysqlStore } from './mysql-store.js';
export type { MysqlStore } from './mysql-store.js';
export { DEFAULT_POOL_SIZE } from './options.js';
export type { MysqlStoreOptions } from './options.js';
export { migrate, latestVersion } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';

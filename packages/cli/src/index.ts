export { main } from './main.js';
export { createProgram } from './program.js';
export { parseDuration, formatDuration } from './duration.js';
export { parseDbTarget, describeDbTarget, openStore, DbTargetError, DEFAULT_DB } from './open-store.js';
export type { DbTarget, OpenStoreOptions } from './open-store.js';
export { parseRateLimitSpec } from './rate-limit-spec.js';
export { seedDemoProduct, DEMO_PRODUCT } from './demo-product.js';
export { CliError, UsageError, EXIT } from './cli-error.js';
export type { Io } from './output.js';

import { createFlashSale, type FlashSale, type FlashSaleOptions, type FlashSaleStore } from '@flashsale/core';
import { CliError, UsageError } from './cli-error.js';
import { DbTargetError, describeDbTarget, openStore, parseDbTarget, type DbTarget, type OpenStoreOptions } from './open-store.js';
import { registerSecret } from './redact.js';

/** A parsed `--db`, or a usage error (exit 2) saying why it names no database. */
export function dbTargetFrom(db: string): DbTarget {
  try {
    const target = parseDbTarget(db);
    if (target.kind !== 'sqlite') registerSecret(target.password);
    return target;
  } catch (error) {
    if (error instanceof DbTargetError) throw new UsageError(`--db: ${error.message}`);
    throw error;
  }
}

/** Opens the store, turning "cannot open" into one clear line (exit 1) that names the database without its password. */
export async function openTarget(target: DbTarget, options: OpenStoreOptions = {}): Promise<FlashSaleStore> {
  try {
    return await openStore(target, options);
  } catch (error) {
    throw new CliError(`cannot open ${describeDbTarget(target)}: ${explain(error)}`);
  }
}

/** The error's message, and its cause's when it wraps one ("storage unavailable" says little alone). */
function explain(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error ? (error.cause as { message?: unknown; code?: unknown } | undefined) : undefined;
  const detail = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : typeof cause?.code === 'string' ? cause.code : undefined;
  return detail && detail !== message ? `${message} (${detail})` : message;
}

/**
 * Runs `work` with an engine on the database `db` names, and closes it afterwards, whatever happens.
 *
 * @example await withSale('./shop.db', {}, (sale) => sale.verify())
 */
export async function withSale<T>(
  db: string,
  options: Omit<FlashSaleOptions, 'store'> & { store?: OpenStoreOptions },
  work: (sale: FlashSale, target: DbTarget) => Promise<T>,
): Promise<T> {
  const target = dbTargetFrom(db);
  const { store: storeOptions, ...engineOptions } = options;
  // One-shot commands need one connection, not a server's pool.
  const store = await openTarget(target, { poolSize: 2, ...storeOptions });
  const sale = createFlashSale({ ...engineOptions, store });
  try {
    return await work(sale, target);
  } finally {
    await sale.close();
  }
}

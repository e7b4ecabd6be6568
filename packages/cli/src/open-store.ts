// The adapters' own rules, from modules that load no driver: parsing --db must stay cheap.
import { isDatabaseName } from '@flashsale/adapter-mysql/database-name';
import { isSchemaName } from '@flashsale/adapter-postgres/schema-name';
import type { FlashSaleStore } from '@flashsale/core';

/** Where the data lives, parsed from `--db` or `DATABASE_URL`. */
export type DbTarget =
  | { kind: 'sqlite'; filename: string }
  | {
      kind: 'postgres';
      /** The URL handed to pg, without the `schema` parameter (which pg does not know). */
      connectionString: string;
      /** From `?schema=name`; undefined means the adapter's default (`public`). */
      schema: string | undefined;
      /** The password, so it can be scrubbed from anything printed. */
      password: string | undefined;
    }
  | {
      kind: 'mysql';
      /** The `mysql://` URL handed to the adapter (a `mariadb://` one is rewritten to it). */
      uri: string;
      /** The database named by the URL's path. */
      database: string;
      /** The password, so it can be scrubbed from anything printed. */
      password: string | undefined;
    };

/** The default database: an embedded SQLite file in the working directory. */
export const DEFAULT_DB = './flashsale.db';

/** Thrown for a `--db` value that names no database flashsale can open. */
export class DbTargetError extends Error {
  override readonly name = 'DbTargetError';
}

/**
 * Parses a database string:
 * - `postgres://…` or `postgresql://…`: PostgreSQL (an optional `?schema=name` picks the schema);
 * - `mysql://…` or `mariadb://…`: MySQL or MariaDB, the database named by the path;
 * - `:memory:` or `sqlite::memory:`: a SQLite database that lives as long as the process;
 * - `sqlite:path` (also `sqlite://path`, and `sqlite:///abs/path` for an absolute one): a SQLite file;
 * - anything else without a `scheme://`: a SQLite file path.
 *
 * @example parseDbTarget('sqlite:./shop.db') // { kind: 'sqlite', filename: './shop.db' }
 * @example parseDbTarget('postgres://app:pw@db/shop?schema=sale').schema // 'sale'
 * @example parseDbTarget('mysql://app:pw@db:3306/shop').database // 'shop'
 */
export function parseDbTarget(text: string): DbTarget {
  const value = text.trim();
  if (value === '') throw new DbTargetError('the database is empty: give a file path, sqlite:path, :memory:, postgres://… or mysql://…');
  if (/^postgres(?:ql)?:\/\//i.test(value)) return parsePostgres(value);
  if (/^(?:mysql|mariadb):\/\//i.test(value)) return parseMysql(value);
  if (value === ':memory:') return { kind: 'sqlite', filename: ':memory:' };
  const sqlite = /^sqlite:(.*)$/i.exec(value);
  if (sqlite) {
    // sqlite://x and sqlite:///abs follow the URL habit of other tools: drop the two slashes.
    const filename = sqlite[1]!.startsWith('//') ? sqlite[1]!.slice(2) : sqlite[1]!;
    if (filename === '') throw new DbTargetError(`"${value}" names no file: use sqlite:path/to/file.db or :memory:`);
    return { kind: 'sqlite', filename };
  }
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(value);
  if (scheme) {
    throw new DbTargetError(`unsupported database "${scheme[1]}://…": use a file path, sqlite:path, :memory:, postgres://… or mysql://…`);
  }
  return { kind: 'sqlite', filename: value };
}

function parsePostgres(value: string): DbTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DbTargetError('the postgres URL is malformed: expected postgres://user:password@host:5432/database');
  }
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  const schema = url.searchParams.get('schema') ?? undefined;
  if (schema !== undefined && !isSchemaName(schema)) {
    throw new DbTargetError(`schema "${schema}" is not allowed: use lower-case letters, digits and _, starting with a letter or _`);
  }
  url.searchParams.delete('schema');
  return { kind: 'postgres', connectionString: url.toString(), schema, password };
}

function parseMysql(value: string): DbTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DbTargetError('the mysql URL is malformed: expected mysql://user:password@host:3306/database');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '') throw new DbTargetError('the mysql URL names no database: add it as the path, mysql://user@host:3306/shop');
  if (!isDatabaseName(database)) {
    throw new DbTargetError(`database "${database}" is not allowed: use letters, digits and _, starting with a letter or _`);
  }
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  return { kind: 'mysql', uri: value.replace(/^mariadb:/i, 'mysql:'), database, password };
}

/**
 * A printable name for the target, with any password replaced by `***`.
 *
 * @example describeDbTarget(parseDbTarget('postgres://app:pw@db/shop')) // 'postgres://app:***@db/shop'
 */
export function describeDbTarget(target: DbTarget): string {
  if (target.kind === 'sqlite') return target.filename === ':memory:' ? 'sqlite :memory:' : `sqlite ${target.filename}`;
  const url = new URL(target.kind === 'mysql' ? target.uri : target.connectionString);
  if (url.password !== '') url.password = '***';
  if (target.kind === 'postgres' && target.schema !== undefined) url.searchParams.set('schema', target.schema);
  return url.toString();
}

export interface OpenStoreOptions {
  /** PostgreSQL or MySQL connections in the pool. The adapter's default when unset. */
  poolSize?: number;
  /** How long a SQLite write waits for another process's lock, in ms. */
  busyTimeoutMs?: number;
  /**
   * SQLite durability. FULL (the adapter's default) keeps every answered commit through a power
   * cut; NORMAL keeps them through a process crash only. See docs/reliability.md.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

/**
 * Opens (creating and migrating when needed) the store a target names. Adapters are imported
 * lazily, so a PostgreSQL or MySQL run never loads SQLite's native module and the reverse.
 *
 * @example
 * const store = await openStore(parseDbTarget(process.env.DATABASE_URL ?? DEFAULT_DB));
 * const sale = createFlashSale({ store });
 */
export async function openStore(target: DbTarget, options: OpenStoreOptions = {}): Promise<FlashSaleStore> {
  if (target.kind === 'sqlite') {
    const { openSqliteStore } = await import('@flashsale/adapter-sqlite');
    return openSqliteStore({
      filename: target.filename,
      ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
      ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
    });
  }
  if (target.kind === 'mysql') {
    const { openMysqlStore } = await import('@flashsale/adapter-mysql');
    return openMysqlStore({ uri: target.uri, ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }) });
  }
  const { openPostgresStore } = await import('@flashsale/adapter-postgres');
  return openPostgresStore({
    connectionString: target.connectionString,
    ...(target.schema === undefined ? {} : { schema: target.schema }),
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
}

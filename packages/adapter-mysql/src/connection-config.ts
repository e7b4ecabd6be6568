import type { ConnectionOptions } from 'mysql2';
import { assertDatabaseName } from './database-name.js';

/** Where a `mysql://` URL points, as mysql2 connection options, and the database it names. */
export interface Endpoint {
  connection: ConnectionOptions;
  database: string;
}

/** URL parameters passed on to mysql2. The rest of its options are the store's to set. */
const PASSED_PARAMETERS = new Set(['ssl']);

/**
 * Reads `mysql://user:password@host:3306/database?ssl=…` (or `mariadb://…`). Parsed here rather
 * than by mysql2's `uri`, whose URL parameters would override the store's own settings (a
 * `?multipleStatements=true` among them): only `ssl` is taken from the URL.
 *
 * @example endpointOf('mysql://app:pw@db:3306/shop').database // 'shop'
 */
export function endpointOf(uri: string): Endpoint {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new TypeError('the MySQL URL is malformed: expected mysql://user:password@host:3306/database');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') throw new TypeError(`a MySQL URL starts with mysql:// or mariadb://, not ${url.protocol}//`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '') throw new TypeError('the MySQL URL names no database: add it as the path, mysql://host:3306/database');
  assertDatabaseName(database);
  const connection: ConnectionOptions = {
    host: decodeURIComponent(url.hostname.replace(/^\[(.*)\]$/, '$1')) || 'localhost',
    port: url.port === '' ? 3306 : Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
  for (const [key, value] of url.searchParams) {
    if (!PASSED_PARAMETERS.has(key)) throw new TypeError(`the MySQL URL parameter "${key}" is not supported (only ${[...PASSED_PARAMETERS].join(', ')})`);
    (connection as Record<string, unknown>)[key] = parseParameter(value);
  }
  return { connection, database };
}

/** `?ssl={"rejectUnauthorized":true}` is JSON; `?ssl=Amazon RDS` a profile name. */
function parseParameter(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * What every connection of the store's own pool and of the migrator is opened with:
 * - utf8mb4 on the wire, so any text a client sends arrives whole;
 * - BIGINT and DECIMAL beyond 2^53 as strings (the store's `int()` then refuses them rather than
 *   round them); every column is CHECKed within safe integers anyway;
 * - one statement per query: values always travel as parameters, and a stray `;` cannot chain
 *   a second statement.
 */
export function storeConnectionOptions(endpoint: Endpoint, connectTimeoutMs: number): ConnectionOptions {
  return {
    ...endpoint.connection,
    charset: 'UTF8MB4_UNICODE_CI',
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    connectTimeout: connectTimeoutMs,
    enableKeepAlive: true,
  };
}

/**
 * A borrowed pool must speak utf8mb4. mysql2 encodes text for the charset it was given: with
 * 3-byte `utf8` an emoji goes out as CESU-8, which the server stores as garbage without an error,
 * and with latin1 it becomes `?`. Refusing such a pool is the only way not to corrupt names.
 */
export function assertSpeaksUtf8mb4(conn: { connection: unknown }): void {
  const encoding = (conn.connection as { clientEncoding?: unknown }).clientEncoding;
  if (encoding !== 'utf8') {
    throw new TypeError(`the pool's connections speak ${String(encoding)}, not utf8mb4: create it with charset 'UTF8MB4_UNICODE_CI' (mysql2's default)`);
  }
}

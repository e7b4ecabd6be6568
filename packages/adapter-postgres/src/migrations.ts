import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  /** 1 for `000001.sql`, and so on. */
  version: number;
  file: string;
  sql: string;
}

/** The package's `sql/` folder: beside `src/` when run from source, beside `dist/` when built. */
const SQL_DIR = fileURLToPath(new URL('../sql/', import.meta.url));

let cached: Migration[] | undefined;

/**
 * The numbered migrations shipped with this package, in order. Versions start at 1 and only
 * grow; a number may be skipped (features developed side by side take their numbers up front, and
 * a branch may ship before the one holding the number below it), but never repeated.
 */
export function loadMigrations(): Migration[] {
  if (cached) return cached;
  const files = readdirSync(SQL_DIR)
    .filter((file) => /^\d{6}(?:[-_][\w-]*)?\.sql$/.test(file))
    .sort();
  let previous = 0;
  const migrations = files.map((file) => {
    const version = Number(file.slice(0, 6));
    if (version <= previous) throw new Error(`migration ${file} is out of sequence: its version must be above ${previous}`);
    previous = version;
    return { version, file, sql: readFileSync(SQL_DIR + file, 'utf8') };
  });
  if (migrations[0]?.version !== 1) throw new Error('the first migration must be version 1');
  cached = migrations;
  return migrations;
}

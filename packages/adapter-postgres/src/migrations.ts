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

/** The numbered migrations shipped with this package, in order. Versions run 1, 2, 3… with no gap. */
export function loadMigrations(): Migration[] {
  if (cached) return cached;
  const files = readdirSync(SQL_DIR)
    .filter((file) => /^\d{6}(?:[-_][\w-]*)?\.sql$/.test(file))
    .sort();
  const migrations = files.map((file, i) => {
    const version = Number(file.slice(0, 6));
    if (version !== i + 1) throw new Error(`migration ${file} is out of sequence: expected version ${i + 1}`);
    return { version, file, sql: readFileSync(SQL_DIR + file, 'utf8') };
  });
  cached = migrations;
  return migrations;
}

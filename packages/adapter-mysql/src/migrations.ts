import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  /** 1 for `000001.sql`, and so on. */
  version: number;
  file: string;
  /** The file's statements, in order, each sent on its own (the store's connections run one per query). */
  statements: string[];
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
    return { version, file, statements: splitStatements(readFileSync(SQL_DIR + file, 'utf8')) };
  });
  cached = migrations;
  return migrations;
}

/**
 * The statements of a migration file: comment lines dropped, split where a line ends with `;`.
 * The files are this package's own and follow that rule (see sql/000001.sql), so no SQL parser
 * is needed.
 */
export function splitStatements(text: string): string[] {
  const lines = text.split('\n').filter((line) => !/^\s*--/.test(line));
  return lines
    .join('\n')
    .split(/;[ \t]*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement !== '');
}

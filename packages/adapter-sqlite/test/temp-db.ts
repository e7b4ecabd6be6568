import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A database path in a fresh temporary folder, and a way to delete it with its WAL files. */
export function tempDatabase(): { filename: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flashsale-sqlite-'));
  return { filename: join(dir, 'flashsale.db'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

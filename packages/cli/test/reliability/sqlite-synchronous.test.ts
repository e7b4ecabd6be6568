import { afterAll, describe, expect, it } from 'vitest';
import type { SqliteStore } from '@flashsale/adapter-sqlite';
import { openStore, parseDbTarget } from '../../src/open-store.js';
import { startServe, type RunningCli } from '../helpers/cli-process.js';
import { freshSqlite, type TestDatabase } from '../helpers/databases.js';
import { cliInProcess } from './helpers/cli-in-process.js';

/**
 * SQLite's `synchronous` decides what a power cut may take back (docs/reliability.md): `serve`
 * opens with FULL unless told `--synchronous NORMAL`, and says which on its start-up line.
 */
describe('flashsale serve --synchronous (SQLite durability)', () => {
  const databases: TestDatabase[] = [];
  const servers: RunningCli[] = [];
  const sqlite = () => {
    const db = freshSqlite();
    databases.push(db);
    return db;
  };

  afterAll(async () => {
    for (const server of servers) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    for (const db of databases) await db.dispose();
  });

  it('opens the SQLite connection with the mode asked for, FULL when none is (PRAGMA synchronous: 2 FULL, 1 NORMAL)', async () => {
    const { db } = sqlite();
    for (const [options, pragma] of [[{}, 2], [{ synchronous: 'FULL' }, 2], [{ synchronous: 'NORMAL' }, 1]] as const) {
      const store = (await openStore(parseDbTarget(db), options)) as SqliteStore;
      try {
        expect(store.db.pragma('synchronous', { simple: true })).toBe(pragma);
        expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        await store.close();
      }
    }
  });

  it('serve says FULL by default and NORMAL when asked, on its start-up line', async () => {
    const [byDefault, normal] = await Promise.all([
      startServe(['--port', '0', '--db', sqlite().db, '--no-seed']),
      startServe(['--port', '0', '--db', sqlite().db, '--no-seed', '--synchronous', 'NORMAL']),
    ]);
    servers.push(byDefault, normal);
    expect(await summaryLine(byDefault)).toMatch(/^database sqlite \S+ \(synchronous FULL\);/);
    expect(await summaryLine(normal)).toMatch(/^database sqlite \S+ \(synchronous NORMAL\);/);
  });

  it('refuses a mode other than FULL or NORMAL, and the flag on PostgreSQL, as usage errors (exit 2)', async () => {
    const off = await cliInProcess(['serve', '--db', sqlite().db, '--synchronous', 'OFF']);
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/--synchronous <mode>' argument 'OFF' is invalid\. Allowed choices are FULL, NORMAL/);

    // Refused before any connection is tried: nothing listens on port 1.
    const pg = await cliInProcess(['serve', '--db', 'postgres://app@127.0.0.1:1/shop', '--synchronous', 'NORMAL']);
    expect(pg).toEqual({
      code: 2,
      stdout: '',
      stderr: "error: --synchronous is for SQLite; PostgreSQL's durability is its own synchronous_commit setting (on by default)\n",
    });
  });
});

/** The line after "flashsale listening on …", which may arrive a moment after it. */
async function summaryLine(server: RunningCli): Promise<string> {
  for (let waited = 0; waited < 5_000; waited += 20) {
    const line = /^database .*$/m.exec(server.messages());
    if (line) return line[0];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return `no summary line in: ${server.messages()}`;
}

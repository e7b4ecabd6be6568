import pg from 'pg';
import { PG_URL } from './test-database.js';

/**
 * A separate connection that holds a row lock in an open transaction, so the test can catch a
 * store's transaction waiting on it, mid-way, and do something to it (terminate its backend).
 */
export function lockProductRow(schema: string, productId: number): Promise<{ release(): Promise<void> }> {
  return lockRow(schema, 'products', productId);
}

/** The same for one hold row, as a slow transaction elsewhere on that hold would. */
export function lockHoldRow(schema: string, holdId: number): Promise<{ release(): Promise<void> }> {
  return lockRow(schema, 'holds', holdId);
}

async function lockRow(schema: string, table: 'products' | 'holds', id: number): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: PG_URL, application_name: 'flashsale-test-locker' });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT id FROM ${pg.escapeIdentifier(schema)}.${table} WHERE id = $1 FOR UPDATE`, [id]);
  return {
    release: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Holds an uncommitted idempotency record for a key, as a first request still at work would. */
export async function holdKey(schema: string, scope: string, keyHash: string): Promise<{ commit(body: string): Promise<void>; rollback(): Promise<void> }> {
  const client = new pg.Client({ connectionString: PG_URL, application_name: 'flashsale-test-locker' });
  await client.connect();
  await client.query('BEGIN');
  const table = `${pg.escapeIdentifier(schema)}.idempotency_records`;
  await client.query(`INSERT INTO ${table} (scope, key_hash, fingerprint, body, created_at) VALUES ($1, $2, 'first', NULL, 0)`, [scope, keyHash]);
  return {
    commit: async (body) => {
      await client.query(`UPDATE ${table} SET body = $3 WHERE scope = $1 AND key_hash = $2`, [scope, keyHash, body]);
      await client.query('COMMIT');
      await client.end();
    },
    rollback: async () => {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** The backend of `applicationName` that is waiting for a lock, once there is one. */
export async function waitingBackend(admin: pg.Pool, applicationName: string): Promise<number> {
  for (let i = 0; i < 500; i++) {
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [applicationName],
    );
    if (rows[0]) return rows[0].pid;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no backend of ${applicationName} started waiting for a lock`);
}

import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';
import { adminPool, connectionsOn, urlFor } from './test-database.js';

/** A connection of the test's own on `database`, outside any store. */
async function lockerOn(database: string): Promise<Connection> {
  return mysql.createConnection({ uri: urlFor(database) });
}

/**
 * A separate connection that holds a row lock in an open transaction, so the test can catch a
 * store's transaction waiting on it, mid-way, and do something to it (KILL its connection).
 */
export function lockProductRow(database: string, productId: number): Promise<{ release(): Promise<void> }> {
  return lockRow(database, 'products', productId);
}

/** The same for one hold row, as a slow transaction elsewhere on that hold would. */
export function lockHoldRow(database: string, holdId: number): Promise<{ release(): Promise<void> }> {
  return lockRow(database, 'holds', holdId);
}

async function lockRow(database: string, table: 'products' | 'holds', id: number): Promise<{ release(): Promise<void> }> {
  const conn = await lockerOn(database);
  await conn.query('START TRANSACTION');
  await conn.query(`SELECT id FROM ${table} WHERE id = ? FOR UPDATE`, [id]);
  return {
    release: async () => {
      await conn.query('ROLLBACK');
      await conn.end();
    },
  };
}

/** Holds an uncommitted idempotency record for a key, as a first request still at work would. */
export async function holdKey(database: string, scope: string, keyHash: string): Promise<{ commit(body: string): Promise<void>; rollback(): Promise<void> }> {
  const conn = await lockerOn(database);
  await conn.query('START TRANSACTION');
  await conn.query("INSERT INTO idempotency_records (scope, key_hash, fingerprint, body, created_at) VALUES (?, ?, 'first', NULL, 0)", [scope, keyHash]);
  return {
    commit: async (body) => {
      await conn.query('UPDATE idempotency_records SET body = ? WHERE scope = ? AND key_hash = ?', [body, scope, keyHash]);
      await conn.query('COMMIT');
      await conn.end();
    },
    rollback: async () => {
      await conn.query('ROLLBACK');
      await conn.end();
    },
  };
}

/**
 * The server id of a connection on `database` whose transaction is waiting for a lock, once there
 * is one. Polled every 150 ms: InnoDB refreshes its INNODB_TRX table only when nobody has read it
 * for 100 ms, so a tighter loop would read the same stale copy forever.
 */
export async function waitingConnection(database: string): Promise<number> {
  for (let i = 0; i < 40; i++) {
    const ids = await connectionsOn(database);
    if (ids.length > 0) {
      const [rows] = await adminPool().query<RowDataPacket[]>(
        `SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT' AND trx_mysql_thread_id IN (?)`,
        [ids],
      );
      if (rows[0]) return Number(rows[0].id);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new Error(`no connection on ${database} started waiting for a lock`);
}

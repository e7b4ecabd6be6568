import { randomBytes } from 'node:crypto';
import { openMysqlStore, type MysqlStore } from '@flashsale/adapter-mysql';
import { openPostgresStore, type PostgresStore } from '@flashsale/adapter-postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDbTarget } from '../src/open-store.js';
import { limiterFor, limiterStoreFor } from '../src/limiter-store.js';
import { MYSQL_URL, PG_URL } from './helpers/databases.js';

describe('where serve counts rate limits', () => {
  it('in PostgreSQL whenever the database is PostgreSQL, even for one process (other hosts may share it)', () => {
    expect(limiterStoreFor(parseDbTarget('postgres://app@db/shop'), 1)).toBe('postgres');
    expect(limiterStoreFor(parseDbTarget('postgres://app@db/shop'), 4)).toBe('postgres');
  });

  it('in MySQL whenever the database is MySQL or MariaDB, even for one process', () => {
    expect(limiterStoreFor(parseDbTarget('mysql://app@db:3306/shop'), 1)).toBe('mysql');
    expect(limiterStoreFor(parseDbTarget('mariadb://app@db/shop'), 4)).toBe('mysql');
  });

  it('in the cluster primary for SQLite workers, and in the process for one SQLite process', () => {
    expect(limiterStoreFor(parseDbTarget('./shop.db'), 2)).toBe('cluster');
    expect(limiterStoreFor(parseDbTarget('./shop.db'), 1)).toBe('memory');
  });
});

describe.skipIf(!PG_URL)('rate limits counted in PostgreSQL', () => {
  const schema = `fs_cli_${randomBytes(6).toString('hex')}`;
  const stores: PostgresStore[] = [];
  afterAll(async () => {
    for (const store of stores) await store.close();
    const admin = await openPostgresStore({ connectionString: PG_URL!, poolSize: 1, migrate: false });
    try {
      await admin.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.close();
    }
  });

  it('two processes (two pools) share one count per client, in a table of the app schema', async () => {
    // Two stores, as two server processes would have, opened at once: both create the table.
    const [a, b] = await Promise.all([0, 1].map(() => openPostgresStore({ connectionString: PG_URL!, schema, poolSize: 2 })));
    stores.push(a!, b!);
    const [createA, createB] = await Promise.all([limiterFor('postgres', a!), limiterFor('postgres', b!)]);
    const policy = { name: 'holds', points: 3, durationSec: 60 };
    const limiters = [createA!(policy), createB!(policy)];

    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(await limiters[i % 2]!.consume('10.0.0.1').then(() => 'allowed', (r: unknown) => (r instanceof Error ? r.message : 'refused')));
    }
    expect(outcomes).toEqual(['allowed', 'allowed', 'allowed', 'refused', 'refused', 'refused']);
    await expect(limiters[1]!.consume('10.0.0.2')).resolves.toMatchObject({ remainingPoints: 2 });

    const { rows } = await a!.pool.query<{ key: string }>(`SELECT key FROM "${schema}".flashsale_rate_limits ORDER BY key`);
    expect(rows.map((r) => r.key)).toEqual(['flashsale:holds:10.0.0.1', 'flashsale:holds:10.0.0.2']);
  });
});

describe.skipIf(!MYSQL_URL)('rate limits counted in MySQL', () => {
  const database = `fs_cli_${randomBytes(6).toString('hex')}`;
  const uri = (() => {
    const url = new URL(MYSQL_URL ?? 'mysql://localhost/x');
    url.pathname = `/${database}`;
    return url.toString();
  })();
  const stores: MysqlStore[] = [];
  afterAll(async () => {
    if (stores[0]) await stores[0].pool.query(`DROP DATABASE IF EXISTS \`${database}\``);
    for (const store of stores) await store.close();
  });

  it('two processes (two pools) share one count per client, in a table of the store database', async () => {
    const a = await openMysqlStore({ uri, poolSize: 2 });
    const b = await openMysqlStore({ uri, poolSize: 2, migrate: false });
    stores.push(a, b);
    const [createA, createB] = await Promise.all([limiterFor('mysql', a), limiterFor('mysql', b)]);
    const policy = { name: 'holds', points: 3, durationSec: 60 };
    const limiters = [createA!(policy), createB!(policy)];

    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      outcomes.push(await limiters[i % 2]!.consume('10.0.0.1').then(() => 'allowed', (r: unknown) => (r instanceof Error ? r.message : 'refused')));
    }
    expect(outcomes).toEqual(['allowed', 'allowed', 'allowed', 'refused', 'refused', 'refused']);
    await expect(limiters[1]!.consume('10.0.0.2')).resolves.toMatchObject({ remainingPoints: 2 });

    const [rows] = (await a.pool.query(`SELECT \`key\` FROM \`${database}\`.flashsale_rate_limits ORDER BY \`key\``)) as unknown as [{ key: string }[]];
    expect(rows.map((r) => r.key)).toEqual(['flashsale:holds:10.0.0.1', 'flashsale:holds:10.0.0.2']);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DbTargetError, describeDbTarget, openStore, parseDbTarget } from '../src/open-store.js';

describe('parseDbTarget', () => {
  it.each([
    ['./flashsale.db', './flashsale.db'],
    ['/var/lib/shop.db', '/var/lib/shop.db'],
    ['shop.db', 'shop.db'],
    ['sqlite:./shop.db', './shop.db'],
    ['sqlite:shop.db', 'shop.db'],
    ['sqlite://shop.db', 'shop.db'],
    ['sqlite:///var/lib/shop.db', '/var/lib/shop.db'],
    [':memory:', ':memory:'],
    ['sqlite::memory:', ':memory:'],
  ])('%s is the SQLite file %s', (text, filename) => {
    expect(parseDbTarget(text)).toEqual({ kind: 'sqlite', filename });
  });

  it('reads postgres:// and postgresql:// URLs, keeping their parameters', () => {
    expect(parseDbTarget('postgres://app:pw@db.internal:5433/shop?sslmode=require')).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://app:pw@db.internal:5433/shop?sslmode=require',
      schema: undefined,
      password: 'pw',
    });
    expect(parseDbTarget('postgresql://app@db/shop')).toMatchObject({ kind: 'postgres', connectionString: 'postgresql://app@db/shop', password: undefined });
  });

  it('reads mysql:// and mariadb:// URLs, the database from the path, a mariadb:// one handed over as mysql://', () => {
    expect(parseDbTarget('mysql://app:pw@db.internal:3307/shop')).toEqual({ kind: 'mysql', uri: 'mysql://app:pw@db.internal:3307/shop', database: 'shop', password: 'pw' });
    expect(parseDbTarget('mariadb://app@db/shop_2')).toEqual({ kind: 'mysql', uri: 'mysql://app@db/shop_2', database: 'shop_2', password: undefined });
    expect(parseDbTarget('mysql://app:p%40ss@db/shop')).toMatchObject({ password: 'p@ss' });
  });

  it('takes ?schema= out of the URL pg sees and keeps it as the schema', () => {
    const target = parseDbTarget('postgres://app@db/shop?schema=sale_2025&sslmode=disable');
    expect(target).toMatchObject({ kind: 'postgres', schema: 'sale_2025', connectionString: 'postgres://app@db/shop?sslmode=disable' });
  });

  it('decodes a percent-encoded password so it can be scrubbed from messages', () => {
    expect(parseDbTarget('postgres://app:p%40ss%2Fw@db/shop')).toMatchObject({ password: 'p@ss/w' });
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['sqlite:', /names no file/],
    ['mongodb://root@localhost/shop', /unsupported database "mongodb:\/\/…"/],
    ['mysql://root@localhost/', /names no database/],
    ['mysql://root@localhost/shop-2025', /database "shop-2025" is not allowed/],
    ['mysql://[bad', /malformed/],
    ['redis://cache', /unsupported/],
    ['postgres://app@db/shop?schema=Robert;DROP', /schema "Robert;DROP" is not allowed/],
    ['postgres://[bad', /malformed/],
  ])('refuses %j', (text, message) => {
    expect(() => parseDbTarget(text)).toThrow(DbTargetError);
    expect(() => parseDbTarget(text)).toThrow(message);
  });
});

describe('describeDbTarget', () => {
  it('never shows the password of a postgres URL', () => {
    const shown = describeDbTarget(parseDbTarget('postgres://app:hunter2secret@db.internal/shop?schema=sale'));
    expect(shown).not.toContain('hunter2secret');
    expect(shown).toBe('postgres://app:***@db.internal/shop?schema=sale');
  });

  it('never shows the password of a mysql URL', () => {
    const shown = describeDbTarget(parseDbTarget('mysql://app:hunter2secret@db.internal:3306/shop'));
    expect(shown).not.toContain('hunter2secret');
    expect(shown).toBe('mysql://app:***@db.internal:3306/shop');
  });

  it('names SQLite files as given', () => {
    expect(describeDbTarget(parseDbTarget('sqlite:./shop.db'))).toBe('sqlite ./shop.db');
    expect(describeDbTarget(parseDbTarget(':memory:'))).toBe('sqlite :memory:');
  });
});

describe('openStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flashsale-cli-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('opens a migrated SQLite file that keeps its data across opens', async () => {
    const target = parseDbTarget(`sqlite:${join(dir, 'shop.db')}`);
    const first = await openStore(target);
    expect(first.kind).toBe('sqlite');
    const created = await first.createProduct({ name: 'Sneaker', priceCents: 12_900, stock: 5 });
    await first.close();
    const second = await openStore(target);
    expect(await second.getProduct(created.id)).toMatchObject({ name: 'Sneaker', availableStock: 5 });
    await second.close();
  });

  it('opens an in-memory SQLite database', async () => {
    const store = await openStore(parseDbTarget(':memory:'));
    expect(await store.getProduct(1)).toBeUndefined();
    await store.close();
  });
});

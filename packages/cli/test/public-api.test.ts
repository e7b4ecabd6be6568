import { describe, expect, it } from 'vitest';
import * as cli from '../src/index.js';
import { memoryIo } from './helpers/memory-io.js';

describe('the package entry point (@flashsale/cli)', () => {
  it('exports exactly the documented API', () => {
    expect(Object.keys(cli).sort()).toEqual(['DbTargetError', 'EXIT', 'main', 'parseDbTarget', 'parseDuration']);
  });

  it('main runs a command line in this process and resolves with its exit status', async () => {
    const io = memoryIo();
    expect(await cli.main(['verify', '--db', ':memory:', '--json'], io)).toBe(cli.EXIT.ok);
    expect(JSON.parse(io.out())).toMatchObject({ ok: true });
    const usage = memoryIo();
    expect(await cli.main(['verify', '--db', 'mongodb://db/shop'], usage)).toBe(cli.EXIT.usage);
    expect(usage.err()).toMatch(/--db: unsupported database/);
  });

  it('parses --db and durations as the command line does', () => {
    expect(cli.parseDbTarget('sqlite:./shop.db')).toEqual({ kind: 'sqlite', filename: './shop.db' });
    expect(cli.parseDbTarget('postgres://app@db/shop?schema=sale')).toMatchObject({ kind: 'postgres', connectionString: 'postgres://app@db/shop', schema: 'sale' });
    expect(() => cli.parseDbTarget('postgres://app@db/shop?schema=Sale')).toThrow(cli.DbTargetError);
    expect(cli.parseDuration('2m')).toBe(120_000);
  });
});

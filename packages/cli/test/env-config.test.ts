import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { runCli, startServe } from './helpers/cli-process.js';
import { memoryIo } from './helpers/memory-io.js';

const dir = mkdtempSync(join(tmpdir(), 'flashsale-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** A new empty directory under the test's temp directory. */
function newDir(): string {
  const path = join(dir, String(++files));
  mkdirSync(path);
  return path;
}

function envFile(lines: string[]): string {
  const file = join(newDir(), 'app.env');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** How many products `verify` finds in the SQLite file `db` (0 for a file nothing wrote to). */
async function productsIn(db: string): Promise<number> {
  const result = await runCli(['verify', '--db', db, '--json']);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { products: number }).products;
}

const createProduct = ['products:create', '--name', 'Cap', '--price', '5', '--stock', '3', '--json'];

describe('serve takes PORT and HOST', () => {
  it('listens on PORT and HOST when no flag is given, and --port beats PORT', async () => {
    const port = await freePort();
    const fromEnv = await startServe(['--db', ':memory:'], { env: { PORT: String(port), HOST: 'localhost' } });
    try {
      expect(fromEnv.url).toBe(`http://localhost:${port}`);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      fromEnv.child.kill('SIGTERM');
      await fromEnv.exited;
    }
    // PORT=1 needs privileges this test does not have: the flag must win for serve to start.
    const fromFlag = await startServe(['--db', ':memory:', '--port', '0'], { env: { PORT: '1' } });
    try {
      expect(fromFlag.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(fromFlag.url).not.toBe('http://127.0.0.1:1');
      expect((await fetch(`${fromFlag.url}/healthz`)).status).toBe(200);
    } finally {
      fromFlag.child.kill('SIGTERM');
      await fromFlag.exited;
    }
  });

  it('a bad PORT is a usage error naming the variable', async () => {
    const result = await runCli(['serve', '--db', ':memory:'], { env: { PORT: 'eighty' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: option '--port <n>' value 'eighty' from env 'PORT' is invalid/);
  });
});

describe('--env-file and ./.env', () => {
  it('--env-file sets every variable the CLI reads, before or after the command name', async () => {
    const work = newDir();
    const db = join(work, 'shop.db');
    const port = await freePort();
    const file = envFile([`DATABASE_URL=${db}`, `PORT=${port}`, 'FLASHSALE_ADMIN_TOKEN=token-from-the-env-file-123']);
    expect((await runCli(['--env-file', file, ...createProduct])).code).toBe(0);
    expect((await runCli([...createProduct, '--env-file', file])).code).toBe(0);
    expect(await productsIn(db)).toBe(2);
    const server = await startServe(['--env-file', file, '--no-seed']);
    try {
      expect(server.url).toBe(`http://127.0.0.1:${port}`);
      // The admin token came from the file: the admin API is on and takes it.
      const created = await fetch(`${server.url}/api/admin/products`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer token-from-the-env-file-123' },
        body: JSON.stringify({ name: 'Hat', price: '7.00', stock: 4 }),
      });
      expect(created.status).toBe(201);
      expect(await productsIn(db)).toBe(3);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  it('a flag beats the environment, which beats the file', async () => {
    const work = newDir();
    const [fileDb, envDb, flagDb] = ['file.db', 'env.db', 'flag.db'].map((name) => join(work, name)) as [string, string, string];
    const file = envFile([`DATABASE_URL=${fileDb}`]);
    expect((await runCli([...createProduct, '--env-file', file], { env: { DATABASE_URL: envDb } })).code).toBe(0);
    expect((await runCli([...createProduct, '--env-file', file, '--db', flagDb], { env: { DATABASE_URL: envDb } })).code).toBe(0);
    expect([await productsIn(fileDb), await productsIn(envDb), await productsIn(flagDb)]).toEqual([0, 1, 1]);
  });

  it('reads ./.env of the working directory when no --env-file is given', async () => {
    const work = newDir();
    const db = join(work, 'from-dotenv.db');
    writeFileSync(join(work, '.env'), `# the shop\nDATABASE_URL="${db}"\n`);
    expect((await runCli(createProduct, { cwd: work })).code).toBe(0);
    expect(await productsIn(db)).toBe(1);
  });

  // In a process of its own, Node itself stops first: it reads `--env-file` even after the script
  // name (nodejs/node#54232) and exits 9 with "node: <path>: not found". main() says it as a usage error.
  it('a missing --env-file is a one-line usage error', async () => {
    const io = memoryIo();
    expect(await main(['verify', '--env-file', join(dir, 'nope.env')], io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err()).toMatch(/^error: --env-file: cannot read .*nope\.env \(ENOENT\)\n$/);
  });
});

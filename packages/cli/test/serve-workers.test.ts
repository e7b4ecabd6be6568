import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, runCli, startServe, type RunningCli } from './helpers/cli-process.js';
import { DATABASE_KINDS, freshSqlite, type TestDatabase } from './helpers/databases.js';
import { requestOnce, waitForMatch } from './helpers/http-once.js';

/**
 * `flashsale serve --workers 2` as a real process tree: a node:cluster primary and two workers on
 * one port, on one database. Correctness and rate limits must come from what the workers share
 * (the database, or the primary's counters on SQLite), never from one worker's memory.
 */

const WORKER_HEADER = 'flashsale-worker';

/** `worker <id> ready (pid <pid>)` lines printed so far: worker id → pid. */
function readyWorkers(server: RunningCli): Map<string, number> {
  const workers = new Map<string, number>();
  for (const match of server.messages().matchAll(/^worker (\d+) ready \(pid (\d+)\)$/gm)) workers.set(match[1]!, Number(match[2]));
  return workers;
}

async function stopServer(server: RunningCli | undefined): Promise<void> {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    // Workers end by themselves when their primary's IPC channel closes.
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

describe.each(DATABASE_KINDS)('flashsale serve --workers 2 on $kind', ({ fresh }) => {
  describe('a stampede with the holds limit off', () => {
    let database: TestDatabase;
    let server: RunningCli;

    beforeAll(async () => {
      database = fresh();
      server = await startServe(['--workers', '2', '--port', '0', '--db', database.db, '--rate-limit', 'holds=off', '--pool-size', '5', '--no-request-log']);
    });
    afterAll(async () => {
      await stopServer(server);
      await database?.dispose();
    });

    it('migrates and seeds once, in the primary, before any worker starts', async () => {
      const messages = server.messages();
      expect(messages.match(/^seeded the demo product 1: .*$/gm)).toHaveLength(1);
      expect(messages.indexOf('seeded the demo')).toBeLessThan(messages.search(/^worker \d+ ready/m));
      expect([...readyWorkers(server).keys()].sort()).toEqual(['1', '2']);
      await waitForMatch(() => server.messages(), /^database .*; 2 workers; /m);
      expect((await requestOnce(`${server.url}/api/products/1`)).status).toBe(200);
      expect((await requestOnce(`${server.url}/api/products/2`)).status).toBe(404);
    });

    it('grants exactly 100 of 500 concurrent 1-unit holds at stock 100, answered by both workers', async () => {
      const created = await runCli(['products:create', '--db', database.db, '--name', 'Drop', '--price', '25', '--stock', '100', '--json']);
      expect(created.code).toBe(0);
      const { id } = JSON.parse(created.stdout) as { id: number };

      const answers = await Promise.all(
        Array.from({ length: 500 }, async () => {
          const res = await fetch(`${server.url}/api/holds`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ product_id: id, qty: 1 }),
          });
          return { status: res.status, worker: res.headers.get(WORKER_HEADER), body: (await res.json()) as { code?: string } };
        }),
      );
      const count = (status: number) => answers.filter((a) => a.status === status).length;
      expect({ granted: count(201), refused: count(409) }).toEqual({ granted: 100, refused: 400 });
      expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'insufficient_stock')).toBe(true);
      expect(new Set(answers.map((a) => a.worker))).toEqual(new Set(['1', '2']));

      const product = await requestOnce(`${server.url}/api/products/${id}`);
      expect(product.body).toMatchObject({ id, available_stock: 0 });
      const verified = await runCli(['verify', '--db', database.db, '--json']);
      expect(verified.code).toBe(0);
      expect(JSON.parse(verified.stdout)).toEqual({ ok: true, products: 2, violations: [] });
    });

    it('restarts a worker that dies, says so, and keeps serving on the same port', async () => {
      const before = readyWorkers(server);
      const victimPid = before.get('1')!;
      process.kill(victimPid, 'SIGKILL');

      await waitForMatch(() => server.output().stderr, new RegExp(`^worker 1 \\(pid ${victimPid}\\) was killed by SIGKILL; starting a new one`, 'm'));
      await waitForMatch(() => server.messages(), /^worker 3 ready \(pid \d+\)$/m);
      expect(isAlive(victimPid)).toBe(false);

      const answeredBy = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const res = await requestOnce(`${server.url}/api/products/1`);
        expect(res.status).toBe(200);
        answeredBy.add(String(res.headers[WORKER_HEADER]));
      }
      expect(answeredBy).toEqual(new Set(['2', '3']));
    });

    it('SIGTERM stops every worker, then the primary, with exit 0', async () => {
      const pids = [...readyWorkers(server).values()].filter(isAlive);
      expect(pids).toHaveLength(2);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(pids.filter(isAlive)).toEqual([]);
      expect(server.messages()).toMatch(/^SIGTERM: stopping 2 workers/m);
      expect(server.messages()).toMatch(/^flashsale stopped$/m);
    });
  });
});

describe('flashsale serve --workers that cannot start', () => {
  it('refuses an in-memory database with exit 2: each worker would have a database of its own', async () => {
    const result = await runCli(['serve', '--workers', '2', '--db', ':memory:', '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --workers: every worker would get its own empty :memory: database; use a SQLite file, postgres:// or mysql://\n');
  });

  it('exits 1, naming the worker, when a worker cannot listen, and leaves no process behind', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    const database = freshSqlite();
    try {
      // runCli resolves when the output pipes close: workers share them, so every process has ended.
      const result = await runCli(['serve', '--workers', '2', '--db', database.db, '--port', String(port), '--no-request-log']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`error: cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(result.stderr).toMatch(/^error: worker \d \(pid \d+\) exited with code 1 before it was ready; its error is above$/m);
      expect(result.stdout).not.toContain('flashsale listening');
    } finally {
      taken.close();
      await database.dispose();
    }
  });
});

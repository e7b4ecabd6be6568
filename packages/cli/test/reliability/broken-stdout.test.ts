import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, startServe, type RunningCli } from '../helpers/cli-process.js';
import { freshSqlite, type TestDatabase } from '../helpers/databases.js';
import { requestOnce } from '../helpers/http-once.js';

/**
 * `flashsale serve` whose stdout reader has gone away (a log shipper that died, `| head`, a closed
 * terminal): every write to stdout now fails with EPIPE. A log that cannot be written must never
 * stop the server selling, draining or exiting. Each case spawns the real CLI with stdout as a pipe
 * and destroys this side of the pipe.
 */

const HOLD_BODY = JSON.stringify({ product_id: 1, qty: 1 });

/** The pids whose parent is `pid`, read from /proc (the cluster workers of a primary). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The command name (field 2) is in parentheses and may hold spaces: parse after it.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children.sort((a, b) => a - b);
}

async function until<T>(what: string, read: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The exit of `server`, or 'still running' after `timeoutMs`. */
function exitWithin(server: RunningCli, timeoutMs: number) {
  return Promise.race([server.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), timeoutMs))]);
}

/** Whether a new connection to `url` is refused (the listener is closed). */
function refusesConnections(url: string): Promise<boolean> {
  return requestOnce(`${url}/healthz`).then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
  );
}

/**
 * A hold request whose headers and first half of the body are sent now, and the rest only when
 * `finish()` is called: a request the server has started and cannot answer until then.
 */
function heldOpenHold(url: string): { finish(): void; answer: Promise<{ status: number; body: string } | { error: string }> } {
  const half = Math.floor(HOLD_BODY.length / 2);
  const req = request(`${url}/api/holds`, {
    method: 'POST',
    agent: false,
    headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(HOLD_BODY)) },
  });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.write(HOLD_BODY.slice(0, half));
  // A connection reset is an outcome to report, not an unhandled rejection.
  const outcome = answer.catch((error: NodeJS.ErrnoException) => ({ error: error.code ?? error.message }));
  return { finish: () => req.end(HOLD_BODY.slice(half)), answer: outcome };
}

describe('flashsale serve with its stdout pipe closed by the reader', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const track = (server: RunningCli, database?: TestDatabase) => {
    cleanups.push(async () => {
      for (const pid of childrenOf(server.child.pid!)) process.kill(pid, 'SIGKILL');
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      await database?.dispose();
    });
    return server;
  };

  it('a quiet server exits 0 promptly on SIGTERM', async () => {
    const server = track(await startServe(['--port', '0', '--db', ':memory:']));
    expect((await requestOnce(`${server.url}/api/products/1`)).status).toBe(200);
    server.child.stdout!.destroy();

    server.child.kill('SIGTERM');
    expect(await exitWithin(server, 8_000)).toEqual({ code: 0, signal: null });
  });

  it('a busy server answers every request in flight in full after SIGTERM, then exits 0', async () => {
    const server = track(await startServe(['--port', '0', '--db', ':memory:', '--no-rate-limit']));
    server.child.stdout!.destroy();
    // Enough request lines that the log reaches the closed pipe before the signal.
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(Array.from({ length: 30 }, () => fetch(`${server.url}/api/products/1`).then((res) => res.status)));
      expect(answers.every((status) => status === 200)).toBe(true);
    }
    // Given up, and counted where an operator looks.
    await until('dropped log lines on /metrics', async () => {
      const metrics = await requestOnce(`${server.url}/metrics`);
      const dropped = Number(/^flashsale_log_lines_dropped_total (\d+)$/m.exec(String(metrics.body))?.[1] ?? 0);
      return dropped >= 300 ? dropped : undefined;
    });
    const inFlight = Array.from({ length: 50 }, () => heldOpenHold(server.url));
    // Answered after the 50 requests' headers were read (each its own connection, sent before it).
    expect((await requestOnce(`${server.url}/healthz`)).status).toBe(200);

    server.child.kill('SIGTERM');
    await until('the listener closed', async () => ((await refusesConnections(server.url)) ? true : undefined));
    for (const hold of inFlight) hold.finish();
    const answers = await Promise.all(inFlight.map((hold) => hold.answer));
    expect(answers.map((a) => ('status' in a ? a.status : a.error))).toEqual(Array.from({ length: 50 }, () => 201));
    for (const answer of answers) {
      expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ hold_id: expect.any(Number), token: expect.any(String), product_id: 1, qty: 1 });
    }
    expect(await exitWithin(server, 8_000)).toEqual({ code: 0, signal: null });
  });

  it('--workers 2: the primary survives a killed worker, the port keeps answering, and SIGTERM ends every process', async () => {
    const database = freshSqlite();
    const server = track(await startServe(['--workers', '2', '--port', '0', '--db', database.db, '--no-rate-limit']), database);
    const primary = server.child.pid!;
    const first = childrenOf(primary);
    expect(first).toHaveLength(2);
    server.child.stdout!.destroy();

    process.kill(first[0]!, 'SIGKILL');
    // The supervisor's own behaviour for a dead worker: it starts a new one.
    const now = await until('a new worker in place of the killed one', () => {
      const pids = childrenOf(primary);
      return pids.length === 2 && !pids.includes(first[0]!) ? pids : undefined;
    });
    // And the new worker is serving: answers come from two workers again.
    await until('answers from two workers', async () => {
      const workers = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const res = await requestOnce(`${server.url}/healthz`);
        expect(res.status).toBe(200);
        workers.add(String(res.headers['flashsale-worker']));
      }
      return workers.size === 2 ? true : undefined;
    });
    expect(isAlive(primary)).toBe(true);
    for (let i = 0; i < 10; i++) expect((await requestOnce(`${server.url}/api/products/1`)).status).toBe(200);

    server.child.kill('SIGTERM');
    expect(await exitWithin(server, 20_000)).toEqual({ code: 0, signal: null });
    for (const pid of new Set([...first, ...now])) expect({ pid, alive: isAlive(pid) }).toEqual({ pid, alive: false });
  });
});

import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { launchServe, logLines, runCli, startServe, type LaunchedCli } from './helpers/cli-process.js';
import { requestOnce, waitForMatch } from './helpers/http-once.js';

/**
 * What `flashsale serve` writes on stdout: JSON lines (pino), one stream, readable live. A request
 * line must show while the server runs, not when it stops, and start-up, request and shutdown
 * lines come in the order they happened.
 */

/** Longer than the log's 100 ms flush interval by far: a loaded CI machine still makes it. */
const SHOWS_WITHIN_MS = 5_000;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('flashsale serve logs', () => {
  const started: LaunchedCli[] = [];
  afterEach(async () => {
    for (const server of started.splice(0)) {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
    }
  });

  it('shows a request line while the server runs, and every line in order: listening, requests, shutting down, stopped', async () => {
    const server = await startServe(['--port', '0', '--db', ':memory:']);
    started.push(server);
    expect((await requestOnce(`${server.url}/api/products/1`)).status).toBe(200);
    await waitForMatch(() => server.output().stdout, /"msg":"request"/, SHOWS_WITHIN_MS);

    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    // Every line on stdout is JSON (logLines fails on any other).
    const lines = logLines(server.output().stdout);
    const messages = lines.map((line) => line.msg);
    const at = (pattern: RegExp) => messages.findIndex((msg) => pattern.test(msg));
    const order = [
      at(/^seeded the demo product 1: /),
      at(/^flashsale listening on http:\/\/127\.0\.0\.1:\d+$/),
      at(/^database sqlite :memory: /),
      at(/^request$/),
      at(/^SIGTERM: shutting down \(finishing requests in flight\)$/),
      at(/^flashsale stopped$/),
    ];
    expect(order.every((index) => index >= 0), messages.join('\n')).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(order.at(-1)).toBe(lines.length - 1);
    expect(lines[order[1]!]).toMatchObject({ level: 30, url: server.url, pid: server.child.pid });
    expect(lines[order[3]!]).toMatchObject({ level: 30, method: 'GET', route: '/api/products/:id', status: 200 });
  });

  it('--log-level debug wins over LOG_LEVEL', async () => {
    const server = await startServe(['--port', '0', '--db', ':memory:', '--log-level', 'debug'], { env: { LOG_LEVEL: 'silent' } });
    started.push(server);
    expect((await requestOnce(`${server.url}/api/products/1`)).status).toBe(200);
    await waitForMatch(() => server.output().stdout, /"msg":"request"/, SHOWS_WITHIN_MS);
  });

  it('LOG_LEVEL=warn keeps only warnings and errors: no start-up, request or shutdown lines', async () => {
    const port = await freePort();
    const server = launchServe(['--port', String(port), '--db', ':memory:'], { env: { LOG_LEVEL: 'warn' } });
    started.push(server);
    const url = `http://127.0.0.1:${port}`;
    await waitForMatch(() => server.output().stderr, /^WARNING: webhooks are unauthenticated/m);
    for (let tries = 0; ; tries++) {
      const answer = await requestOnce(`${url}/api/products/1`).catch(() => undefined);
      if (answer?.status === 200) break;
      if (tries > 200) throw new Error(`no answer on ${url}:\n${server.output().stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    const lines = logLines(server.output().stdout);
    expect(lines.map((line) => [line.level, line.msg.split(':')[0]])).toEqual([[40, 'WEBHOOKS ARE UNAUTHENTICATED']]);
  });

  it('an unknown level is a usage error, from the flag or from LOG_LEVEL', async () => {
    for (const [args, env] of [
      [['--log-level', 'loud'], {}],
      [[], { LOG_LEVEL: 'loud' }],
    ] as const) {
      const result = await runCli(['serve', '--db', ':memory:', '--port', '0', ...args], { env });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^error: option '--log-level <level>' .*'loud'.* Allowed choices are fatal, error, warn, info, debug, trace, silent\.\n$/);
    }
  });
});

// Compiled by the packaging check with strict, NodeNext and no skipLibCheck, against the installed
// packages: the HTTP server, the bench and the CLI. Hono's own .d.ts use DOM types (WebSocket
// events), so this one compiles with the DOM library, as Hono asks of its users.
import { createFlashSale } from '@flashsale/core';
import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { createApp, createMetrics, serve, type RunningServer, type ServeOptions } from '@flashsale/server';
import { runBench, renderTable, type BenchOptions, type BenchReport } from '@flashsale/bench';
import { main, parseDuration } from '@flashsale/cli';

const sale = createFlashSale({ store: openSqliteStore({ filename: ':memory:' }), holdTtlMs: parseDuration('2m') });

export async function http(): Promise<RunningServer> {
  const metrics = createMetrics();
  const app = createApp({ engine: sale, metrics });
  const response = await app.request('/healthz');
  const options: ServeOptions = { engine: sale, metrics, port: 0, sweeper: false };
  // @ts-expect-error a port is a number
  const wrong: ServeOptions = { engine: sale, metrics, port: '8000' };
  return response.ok ? serve(options) : Promise.reject(new Error(`${response.status} ${wrong.port}`));
}

export async function stampede(): Promise<string> {
  const options: BenchOptions = { engine: true, requests: 200 };
  const report: BenchReport = await runBench(options);
  return renderTable(report);
}

export const exitCode: Promise<number> = main(['verify', '--db', ':memory:', '--json']);

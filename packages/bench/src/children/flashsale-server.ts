/**
 * The bench's own flashsale server, until (and unless) the CLI hands it `flashsale serve`: takes
 * the same arguments (see serveArgs), runs @flashsale/server's `serve()` over the chosen store in
 * this process, and prints the URL it listens on. Rate limits and request logs are off: the
 * stampede comes from one address and the log would measure the terminal.
 *
 * Besides the server's metrics, /metrics carries `flashsale_reserve_batches_total` and
 * `flashsale_reserve_batch_requests_total` (store round trips for holds, and the hold requests they
 * carried), counted from the engine's `reserve_batch` events, unless the server already has them.
 */
import { parseArgs } from 'node:util';
import { createFlashSale, type FlashSaleStore } from '@flashsale/core';
import { createMetrics, serve } from '@flashsale/server';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== 'serve'),
  options: {
    db: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'no-rate-limit': { type: 'boolean', default: false },
    'admin-token': { type: 'string' },
    'hold-ttl': { type: 'string', default: '120000ms' },
    'payment-ttl': { type: 'string', default: '900000ms' },
    'sweep-interval': { type: 'string', default: '5000ms' },
  },
});

function ms(text: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(text);
  if (!match) throw new RangeError(`not a duration: ${text}`);
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[match[2] as 'ms' | 's' | 'm'];
}

async function openStore(db: string): Promise<FlashSaleStore> {
  if (/^postgres(ql)?:\/\//.test(db)) {
    const url = new URL(db);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    const { openPostgresStore } = await import('@flashsale/adapter-postgres');
    return openPostgresStore({ connectionString: url.toString(), ...(schema ? { schema } : {}), applicationName: 'flashsale-bench-server' });
  }
  const { openSqliteStore } = await import('@flashsale/adapter-sqlite');
  return openSqliteStore({ filename: db });
}

let batches = 0;
let batchedRequests = 0;
const metrics = createMetrics();
const render = metrics.render;
const engine = createFlashSale({
  store: await openStore(values.db ?? 'flashsale.db'),
  holdTtlMs: ms(values['hold-ttl']),
  paymentTtlMs: ms(values['payment-ttl']),
  onEvent: (event) => {
    if (event.type === 'reserve_batch') {
      batches += 1;
      batchedRequests += event.size;
    }
    metrics.onEvent(event);
  },
});
const running = await serve({
  engine,
  metrics: {
    ...metrics,
    async render() {
      const text = await render();
      if (text.includes('flashsale_reserve_batches_total')) return text;
      return `${text}# HELP flashsale_reserve_batches_total Store calls that reserved holds (one database round trip each).
# TYPE flashsale_reserve_batches_total counter
flashsale_reserve_batches_total ${batches}
# HELP flashsale_reserve_batch_requests_total Hold requests carried by those store calls.
# TYPE flashsale_reserve_batch_requests_total counter
flashsale_reserve_batch_requests_total ${batchedRequests}
`;
    },
  },
  logger: false,
  requestLog: false,
  rateLimit: values['no-rate-limit'] ? false : {},
  ...(values['admin-token'] ? { adminToken: values['admin-token'] } : {}),
  port: Number(values.port),
  host: values.host,
  sweeper: { intervalMs: ms(values['sweep-interval']) },
  docs: false,
});
process.stdout.write(`listening ${running.url}\n`);
const stop = () => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// The parent going away (even kill -9) closes our stdin: never leave a stray server behind.
process.stdin.on('end', stop).resume();

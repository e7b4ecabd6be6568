// Drives the installed `flashsale` bin (the path in argv[2]) as a user would: `serve --port 0`
// answers /healthz and the seed README's flow (product → hold → order → webhook); then
// `holds:release --json` and `verify --json` on the same database exit 0; then a short bench.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const bin = process.argv[2];
assert.ok(bin, 'usage: node bin-flow.mjs <path to the flashsale bin>');
const dir = mkdtempSync(join(tmpdir(), 'flashsale-bin-'));
const db = join(dir, 'shop.db');
const env = { ...process.env, CI: '1' };
for (const name of ['DATABASE_URL', 'PORT', 'HOST', 'FLASHSALE_WEBHOOK_SECRET', 'FLASHSALE_ADMIN_TOKEN']) delete env[name];

/** Runs the bin to completion; resolves with its stdout, rejects (with stderr) on a non-zero exit. */
async function run(args, timeout = 60_000) {
  const { stdout } = await promisify(execFile)(bin, args, { cwd: dir, env, timeout });
  return stdout;
}

/** Starts `flashsale serve`, resolving once it prints the URL it listens on. */
function startServe(args) {
  const child = spawn(bin, ['serve', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 20 s:\n${output}`)), 20_000);
    const collect = (chunk) => {
      output += chunk;
      // serve logs JSON lines; the one that says it listens carries the URL.
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1], child, exited });
      }
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    void exited.then(({ code, signal }) => reject(new Error(`serve exited (${code ?? signal}) before listening:\n${output}`)));
  });
}

async function call(base, method, path, body, headers = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

try {
  const { url, child, exited } = await startServe(['--port', '0', '--db', db]);
  try {
    assert.deepEqual(await call(url, 'GET', '/healthz'), { status: 200, body: { status: 'ok' } });
    const product = await call(url, 'GET', '/api/products/1');
    assert.deepEqual(product, { status: 200, body: { id: 1, name: 'Limited Edition Product', price: '99.99', available_stock: 50, sale_starts_at: null, sale_ends_at: null, max_per_buyer: null, sale_status: 'live' } });
    const hold = await call(url, 'POST', '/api/holds', { product_id: 1, qty: 2 });
    assert.equal(hold.status, 201, JSON.stringify(hold.body));
    const order = await call(url, 'POST', '/api/orders', { hold_id: hold.body.hold_id, token: hold.body.token });
    assert.equal(order.status, 201, JSON.stringify(order.body));
    assert.deepEqual([order.body.status, order.body.amount], ['pending', '199.98']);
    const paid = await call(url, 'POST', '/api/payments/webhook', { order_id: order.body.order_id, status: 'success' }, { 'Idempotency-Key': 'psp-evt-1' });
    assert.deepEqual(paid, { status: 200, body: { status: 'processed', order_status: 'completed' } });
    assert.equal((await call(url, 'GET', '/api/products/1')).body.available_stock, 48);
    console.log(`serve: /healthz and product → hold → order → webhook answered at ${url}`);

    const released = JSON.parse(await run(['holds:release', '--json', '--db', db]));
    assert.deepEqual(Object.keys(released).sort(), ['holds', 'orders', 'purged_events', 'purged_idempotency', 'units']);
    const verified = JSON.parse(await run(['verify', '--json', '--db', db]));
    assert.deepEqual(verified, { ok: true, products: 1, violations: [] });
    console.log('holds:release --json and verify --json: exit 0, while serve runs');
  } finally {
    child.kill('SIGTERM');
  }
  assert.deepEqual(await exited, { code: 0, signal: null });
  console.log('serve: SIGTERM, exit 0');

  const report = JSON.parse(await run(['bench', '--requests', '400', '--concurrency', '16', '--stock', '50', '--json'], 120_000));
  assert.equal(report.ok, true, JSON.stringify(report).slice(0, 500));
  console.log('bench: a short stampede through its own flashsale serve, every invariant held');
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The `--baseline` target: bare Hono handlers on @hono/node-server that answer every
 * `POST /api/holds` with 201 and a small JSON body shaped like a hold, `POST /api/orders` with 201
 * and one shaped like an order, `POST /api/payments/webhook` with 200 and one shaped like its
 * answer, and do nothing else. Run in
 * its own process (like the flashsale server) so the load generator measures the plain HTTP
 * ceiling of this machine, not a shared event loop. Prints `listening <url>` once ready.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const body = { hold_id: 1, token: 'baseline', expires_at: '2030-01-01T00:00:00.000Z', product_id: 1, qty: 1 };
const app = new Hono();
const order = { order_id: 1, hold_id: 1, product_id: 1, qty: 1, amount: '10.00', status: 'pending', payment_deadline: '2030-01-01T00:00:00.000Z' };
const payment = { order_id: 1, order_status: 'completed', replayed: false };
app.post('/api/holds', (c) => c.json(body, 201));
app.post('/api/orders', (c) => c.json(order, 201));
app.post('/api/payments/webhook', (c) => c.json(payment, 200));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`listening http://127.0.0.1:${info.port}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent going away (even kill -9) closes our stdin: never leave a stray server behind.
process.stdin.on('end', stop).resume();

#!/usr/bin/env node
// How long `flashsale serve` takes from being started to answering its first request: starts the
// command given after `--` with `--port <a free port>` added, polls GET /healthz every 5 ms until
// it answers 200, prints the milliseconds, and kills the server (its whole process group).
//
// Usage: node scripts/time-first-request.mjs -- flashsale serve --db /tmp/shop.db --no-request-log
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

const separator = process.argv.indexOf('--');
const command = separator === -1 ? [] : process.argv.slice(separator + 1);
if (command.length === 0) {
  console.error('usage: node scripts/time-first-request.mjs -- <flashsale serve command…>');
  process.exit(2);
}

const port = await new Promise((resolve, reject) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
  probe.on('error', reject);
});

const healthy = () =>
  new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });

const started = performance.now();
// Its own process group, so a wrapper (pnpm, a shell) and the server it starts go together.
const server = spawn(command[0], [...command.slice(1), '--port', String(port)], { stdio: 'ignore', detached: true });
let exited = false;
server.on('exit', () => (exited = true));
while (!(await healthy())) {
  if (exited) {
    console.error(`the server exited before answering: ${command.join(' ')}`);
    process.exit(1);
  }
  if (performance.now() - started > 30_000) {
    process.kill(-server.pid, 'SIGKILL');
    console.error('no answer within 30 s');
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
}
console.log(`first 200 after ${Math.round(performance.now() - started)} ms`);
process.kill(-server.pid, 'SIGKILL');

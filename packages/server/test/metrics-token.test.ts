import { describe, expect, test } from 'vitest';
import { serve } from '../src/index.js';
import { captureLogger, expectProblem, harness } from './helpers.js';

/** With metricsToken, GET /metrics needs its Bearer token; without, it stays open. */

const TOKEN = 'metrics-token-0123456789';

describe('GET /metrics with a metrics token', () => {
  test('the right Bearer token gets the Prometheus text', async () => {
    const h = harness({ metricsToken: TOKEN });
    const res = await h.get('/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^# HELP flashsale_/m);
    expect((await h.get('/metrics', { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  test.each<[string, string | undefined]>([
    ['no Authorization header', undefined],
    ['a wrong token', `Bearer ${TOKEN}x`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 8)}`],
    ['Basic auth', `Basic ${Buffer.from(`metrics:${TOKEN}`).toString('base64')}`],
    ['the bare token', TOKEN],
  ])('%s is 401 with WWW-Authenticate, and no metric is shown', async (_name, authorization) => {
    const h = harness({ metricsToken: TOKEN, adminToken: 'admin-token-0123456789' });
    const res = await h.get('/metrics', authorization === undefined ? {} : { authorization });
    const body = await expectProblem(res, 401, 'unauthorized');
    expect(body.detail).toBe('/metrics needs Authorization: Bearer <metrics token>.');
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="flashsale-metrics"');
    expect(JSON.stringify(body)).not.toMatch(/flashsale_|metrics-token-0/);
  });

  test('the admin token does not open /metrics, nor the metrics token the admin API', async () => {
    const h = harness({ metricsToken: TOKEN, adminToken: 'admin-token-0123456789' });
    await expectProblem(await h.get('/metrics', { authorization: 'Bearer admin-token-0123456789' }), 401, 'unauthorized');
    await expectProblem(await h.post('/api/admin/products', { name: 'P', price: '1.00', stock: 1 }, { authorization: `Bearer ${TOKEN}` }), 401, 'unauthorized');
  });

  test('without a metrics token /metrics stays open; an empty one is no token', async () => {
    for (const options of [{}, { metricsToken: '' }]) expect((await harness(options).get('/metrics')).status).toBe(200);
  });

  test('a token a Bearer header cannot carry is refused at start-up', () => {
    for (const metricsToken of ['with space', 'tökén', 'tab\there']) {
      expect(() => harness({ metricsToken })).toThrow(/The metrics token must be 1 or more visible ASCII characters/);
    }
  });

  test('over a socket, the token never reaches the log', async () => {
    const { logger, lines } = captureLogger();
    const h = harness();
    const server = await serve({ engine: h.engine, port: 0, logger, rateLimit: false, sweeper: false, metricsToken: TOKEN });
    try {
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
      expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}-wrong` } })).status).toBe(401);
    } finally {
      await server.close();
    }
    expect(lines.filter((line) => line.msg === 'request').map((line) => line.status)).toEqual([200, 401]);
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});

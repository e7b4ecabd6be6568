import { describe, expect, test } from 'vitest';
import { generateWebhookSecret, signWebhook } from '../src/index.js';
import { expectProblem, harness, stateOf } from './helpers.js';

const SECRET = generateWebhookSecret();

async function setup() {
  const h = harness({ webhookSecret: SECRET });
  const id = await h.product(5);
  const order = await h.order(id, 2);
  const body = JSON.stringify({ order_id: order.order_id, status: 'success', txn_id: 'TXN-1' });
  const send = (headers: Record<string, string>, payload = body) =>
    h.app.request('/api/payments/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'sig-1', ...headers },
      body: payload,
    });
  return { h, id, order, body, send };
}

describe('webhook signatures (Standard Webhooks)', () => {
  test('a correctly signed call is processed', async () => {
    const { send, body } = await setup();
    const res = await send(signWebhook(SECRET, body));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'processed', order_status: 'completed' });
  });

  test('a signature header listing several signatures passes when one matches (key rotation)', async () => {
    const { send, body } = await setup();
    const signed = signWebhook(SECRET, body);
    const other = signWebhook(generateWebhookSecret(), body, { id: signed['webhook-id'] });
    const res = await send({ ...signed, 'webhook-signature': `${other['webhook-signature']} ${signed['webhook-signature']}` });
    expect(res.status).toBe(200);
  });

  const refusals: [string, (body: string) => Record<string, string>][] = [
    ['no signature headers at all', () => ({})],
    ['webhook-signature missing', (body) => omit(signWebhook(SECRET, body), 'webhook-signature')],
    ['webhook-id missing', (body) => omit(signWebhook(SECRET, body), 'webhook-id')],
    ['webhook-timestamp missing', (body) => omit(signWebhook(SECRET, body), 'webhook-timestamp')],
    ['signed with another secret', (body) => signWebhook(generateWebhookSecret(), body)],
    ['a garbage signature', (body) => ({ ...signWebhook(SECRET, body), 'webhook-signature': 'v1,AAAA' })],
    ['an unknown signature version', (body) => ({ ...signWebhook(SECRET, body), 'webhook-signature': signWebhook(SECRET, body)['webhook-signature'].replace('v1,', 'v2,') })],
    ['a timestamp 6 minutes old', (body) => signWebhook(SECRET, body, { timestamp: new Date(Date.now() - 6 * 60_000) })],
    ['a timestamp 6 minutes ahead', (body) => signWebhook(SECRET, body, { timestamp: new Date(Date.now() + 6 * 60_000) })],
    ['a timestamp that is not a number', (body) => ({ ...signWebhook(SECRET, body), 'webhook-timestamp': 'yesterday' })],
    ['another id than the one signed', (body) => ({ ...signWebhook(SECRET, body), 'webhook-id': 'msg_other' })],
    ['a body changed after signing', (body) => signWebhook(SECRET, body.replace('TXN-1', 'TXN-2'))],
  ];

  test.each(refusals)('401 invalid_signature for %s; nothing changes', async (_name, headersFor) => {
    const { h, send, body } = await setup();
    const before = await stateOf(h);
    await expectProblem(await send(headersFor(body)), 401, 'invalid_signature');
    expect(await stateOf(h)).toEqual(before);
    // The key was not consumed by the refused call: a good call with it is processed, not replayed.
    const good = await send(signWebhook(SECRET, body));
    expect(good.status).toBe(200);
    expect(good.headers.get('idempotent-replayed')).toBeNull();
  });

  test('the signature is checked before the body is parsed: an unsigned malformed body is 401, not 400', async () => {
    const { send } = await setup();
    await expectProblem(await send({}, '{not json'), 401, 'invalid_signature');
  });

  test('a signed call needs no Idempotency-Key: its webhook-id is the key (webhook-delivery.test.ts)', async () => {
    const { h, body } = await setup();
    const res = await h.app.request('/api/payments/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(SECRET, body) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'processed', order_status: 'completed' });
  });

  test('without a secret, unsigned webhooks are accepted (serve() warns loudly about it)', async () => {
    const h = harness();
    const id = await h.product(5);
    const order = await h.order(id);
    const res = await h.post('/api/payments/webhook', { order_id: order.order_id, status: 'success' }, { 'idempotency-key': 'x' });
    expect(res.status).toBe(200);
  });

  test('a malformed secret is refused at start-up, not at the first webhook', () => {
    expect(() => harness({ webhookSecret: 'not base64!' })).toThrow(/whsec_/);
  });

  test('signWebhook produces v1,<base64 HMAC-SHA256 of "id.timestamp.body">', async () => {
    const { createHmac } = await import('node:crypto');
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const headers = signWebhook(secret, '{"a":1}', { id: 'msg_1', timestamp: new Date(1_700_000_000_000) });
    const expected = createHmac('sha256', Buffer.from('0123456789abcdef0123456789abcdef')).update('msg_1.1700000000.{"a":1}').digest('base64');
    expect(headers).toEqual({ 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,${expected}` });
  });
});

function omit(headers: Record<string, string>, name: string): Record<string, string> {
  const copy = { ...headers };
  delete copy[name];
  return copy;
}

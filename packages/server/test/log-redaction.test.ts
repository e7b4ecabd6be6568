import { pino } from 'pino';
import { expect, test } from 'vitest';
import { createServerLog, LOG_REDACTION } from '../src/index.js';

/**
 * The server logs no request headers; a line that ever does (an app's own, or an error carrying
 * a request) has its secret ones censored by the server's log.
 */

const secrets = { 'hold-token': 'HOLD-TOKEN-5e1f', authorization: 'Bearer ADMIN-77', 'webhook-signature': 'v1,SIG-0a', 'idempotency-key': 'KEY-93' };

test('the server log censors the Hold-Token header, and the other secret headers, wherever headers are logged', async () => {
  const written: string[] = [];
  const log = createServerLog({ output: { write: (text: string) => void written.push(text) } });
  log.logger.info({ req: { method: 'GET', url: '/api/holds/1', headers: { ...secrets, accept: 'application/json' } } }, 'a request');
  log.logger.error({ err: { message: 'boom', headers: secrets } }, 'an error carrying headers');
  log.logger.warn({ headers: secrets }, 'bare headers');
  await log.close();
  const text = written.join('');
  expect(text.split('\n').filter(Boolean)).toHaveLength(3);
  for (const value of Object.values(secrets)) expect(text).not.toContain(value);
  expect(text).toContain('"accept":"application/json"');
  expect(text.match(/"hold-token":"\[redacted\]"/g)).toHaveLength(3);
});

test('LOG_REDACTION does the same for a logger of your own', () => {
  const written: string[] = [];
  pino({ redact: LOG_REDACTION }, { write: (text: string) => void written.push(text) }).info({ req: { headers: secrets } });
  for (const value of Object.values(secrets)) expect(written.join('')).not.toContain(value);
});

import type { LoggerOptions } from 'pino';

/** Request headers that carry a secret: a hold's token, a bearer token, a signature, a key. */
const SECRET_HEADERS = ['hold-token', 'authorization', 'webhook-signature', 'idempotency-key'] as const;

/**
 * pino's `redact` for the server's logs: wherever a logged object carries request headers (a
 * `headers` object at the top or one level down: `req.headers`, `err.headers`...), the secret ones
 * are censored. The server's own lines log no headers at all; this keeps it so for any line that
 * ever does, the server's or the app's that logs through the same logger.
 *
 * @example pino({ redact: LOG_REDACTION }).info({ req: { headers } }) // "hold-token":"[redacted]"
 */
export const LOG_REDACTION: NonNullable<LoggerOptions['redact']> = {
  paths: SECRET_HEADERS.flatMap((name) => [`headers["${name}"]`, `*.headers["${name}"]`]),
  censor: '[redacted]',
};

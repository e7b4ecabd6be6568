import { readFileSync } from 'node:fs';
import type { BuyerTokenOptions } from '@flashsale/server';
import { UsageError } from './cli-error.js';
import { registerSecret } from './redact.js';
import type { ServeFlags } from './serve-flags.js';

/**
 * `serve --buyer-jwt-key <file>` (with `--buyer-jwt-issuer`, `--buyer-jwt-audience`) as the
 * server's `buyerToken`: the file read and parsed by the server's `parseBuyerKey` (a JWKS, a PEM
 * public key, or an HS256 secret). Undefined without the flag; a usage error (exit 2) naming the
 * flag when the file cannot be read or holds no usable key. The server code loads only when the
 * flag is given.
 */
export async function loadBuyerToken(flags: Pick<ServeFlags, 'buyerJwtKey' | 'buyerJwtIssuer' | 'buyerJwtAudience'>): Promise<BuyerTokenOptions | undefined> {
  if (!flags.buyerJwtKey) {
    if (flags.buyerJwtIssuer || flags.buyerJwtAudience) throw new UsageError('--buyer-jwt-issuer and --buyer-jwt-audience need --buyer-jwt-key');
    return undefined;
  }
  let text: string;
  try {
    text = readFileSync(flags.buyerJwtKey, 'utf8');
  } catch (error) {
    throw new UsageError(`--buyer-jwt-key: cannot read ${flags.buyerJwtKey} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const { parseBuyerKey } = await import('@flashsale/server');
  let key: BuyerTokenOptions['key'];
  try {
    key = parseBuyerKey(text);
  } catch (error) {
    throw new UsageError(`--buyer-jwt-key: ${(error as Error).message}`);
  }
  // An HS256 secret is a secret: never printed, even inside an error.
  if (key.kind === 'secret') registerSecret(text.trim());
  return { key, ...(flags.buyerJwtIssuer ? { issuer: flags.buyerJwtIssuer } : {}), ...(flags.buyerJwtAudience ? { audience: flags.buyerJwtAudience } : {}) };
}

/** What the start-up summary says about buyer identity. */
export function describeBuyerIdentity(token: BuyerTokenOptions | undefined): string {
  if (!token) return 'buyers named by the caller (buyer_id)';
  const kind = { secret: 'an HS256 secret', 'public-key': 'a public key', jwks: 'a JWKS' }[token.key.kind];
  return `buyers from verified JWTs (${kind}${token.issuer ? `, issuer ${token.issuer}` : ''}${token.audience ? `, audience ${token.audience}` : ''})`;
}

import { createPublicKey, type KeyObject } from 'node:crypto';
import { isBuyerId } from '@flashsale/core';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { HttpProblem } from './problems/http-problem.js';

/**
 * Who the buyer is, when the server is configured with a buyer key: the `sub` of a JWT the
 * caller presents as `Authorization: Bearer <token>`, verified with jose (signature, `exp`,
 * `nbf`, issuer, audience). The token and the buyer id never go into a log line or a problem.
 */

/** A key that verifies buyer tokens, as {@link parseBuyerKey} reads it from a file. */
export type BuyerKey =
  | { kind: 'public-key'; key: KeyObject }
  | { kind: 'jwks'; keys: JSONWebKeySet }
  | { kind: 'secret'; secret: Uint8Array };

export interface BuyerTokenOptions {
  key: BuyerKey;
  /** The `iss` a token must carry; unset: any. */
  issuer?: string;
  /** The `aud` a token must carry; unset: any. */
  audience?: string;
}

/** Verifies an `Authorization` header's buyer token; resolves with the buyer id (`sub`). */
export type BuyerTokenVerifier = (authorization: string | undefined) => Promise<string>;

/** An HS256 secret shorter than the hash (RFC 7518 section 3.2) is refused. */
const MIN_SECRET_BYTES = 32;

const CHALLENGE = 'Bearer realm="flashsale-buyer"';

/**
 * Reads a buyer key file: a JWKS (`{"keys":[…]}`), a PEM public key or certificate, or else an
 * HS256 secret (its bytes, without the trailing newline an editor or `echo` adds). Throws a
 * TypeError saying what is wrong, for a start-up error.
 *
 * @example parseBuyerKey(readFileSync('buyer-jwks.json', 'utf8'))
 */
export function parseBuyerKey(text: string): BuyerKey {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new TypeError('the buyer key file starts with "{" but is not JSON (a JWKS is {"keys": [...]})');
    }
    const keys = (parsed as { keys?: unknown }).keys;
    if (!Array.isArray(keys) || keys.length === 0) throw new TypeError('the buyer key file is JSON but not a JWKS with at least one key ({"keys": [...]})');
    return { kind: 'jwks', keys: parsed as JSONWebKeySet };
  }
  if (trimmed.startsWith('-----BEGIN')) {
    if (/PRIVATE KEY-----/.test(trimmed)) throw new TypeError('the buyer key file holds a private key: give the server the public key only');
    try {
      return { kind: 'public-key', key: createPublicKey(trimmed) };
    } catch (error) {
      throw new TypeError(`the buyer key file is PEM but not a public key or certificate (${(error as Error).message})`);
    }
  }
  const secret = new TextEncoder().encode(text.replace(/\r?\n$/, ''));
  if (secret.length < MIN_SECRET_BYTES) throw new TypeError(`an HS256 buyer secret must be at least ${MIN_SECRET_BYTES} bytes, got ${secret.length}`);
  return { kind: 'secret', secret };
}

/**
 * The verifier of buyer tokens for `options`. Each key kind accepts only its own algorithms, so a
 * token signed with HS256 using a public key as its secret is refused (algorithm confusion).
 *
 * @example const buyerOf = buyerTokenVerifier({ key: parseBuyerKey(pem), issuer: 'https://shop.example' });
 * const buyerId = await buyerOf(request.headers.authorization); // or throws 401 buyer_unauthorized
 */
export function buyerTokenVerifier(options: BuyerTokenOptions): BuyerTokenVerifier {
  const { key } = options;
  const verifyOptions = {
    algorithms: algorithmsFor(key),
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  };
  const keyInput: KeyObject | Uint8Array | JWTVerifyGetKey = key.kind === 'jwks' ? createLocalJWKSet(key.keys) : key.kind === 'secret' ? key.secret : key.key;
  return async (authorization) => {
    const match = authorization === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!match) throw unauthorized('A hold needs the buyer\'s token: Authorization: Bearer <JWT>.', CHALLENGE);
    let sub: unknown;
    try {
      // Overloads: jose types a key and a key-getting function apart.
      const { payload } = typeof keyInput === 'function' ? await jwtVerify(match[1]!, keyInput, verifyOptions) : await jwtVerify(match[1]!, keyInput, verifyOptions);
      sub = payload.sub;
    } catch (error) {
      throw unauthorized(`The buyer token is not accepted: ${reasonOf(error)}.`, `${CHALLENGE}, error="invalid_token"`);
    }
    if (!isBuyerId(sub)) throw unauthorized('The buyer token is not accepted: its sub is not a buyer id (1 to 128 characters, no control characters).', `${CHALLENGE}, error="invalid_token"`);
    return sub;
  };
}

function unauthorized(detail: string, challenge: string): HttpProblem {
  return new HttpProblem('buyer_unauthorized', detail, { headers: { 'WWW-Authenticate': challenge } });
}

/** Why jose refused a token, in words that say what to fix and nothing of the token itself. */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'it has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `its ${error.claim} claim is not accepted`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'its algorithm is not accepted for this key';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no key of the key set matches it';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) return 'it is not a well-formed JWT';
  return 'it cannot be verified';
}

function algorithmsFor(key: BuyerKey): string[] {
  if (key.kind === 'secret') return ['HS256'];
  if (key.kind === 'jwks') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
  switch (key.key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.key.asymmetricKeyDetails?.namedCurve;
      const alg = ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as Record<string, string>)[curve ?? ''];
      if (!alg) throw new TypeError(`an EC key on ${curve ?? 'an unknown curve'} cannot verify buyer tokens: use P-256, P-384 or P-521`);
      return [alg];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      throw new TypeError(`a ${key.key.asymmetricKeyType ?? 'symmetric'} key cannot verify buyer tokens: use RSA, EC (P-256, P-384, P-521) or Ed25519`);
  }
}

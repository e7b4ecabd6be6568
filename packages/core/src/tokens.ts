import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_BYTES = 32;
/** Random bytes for this many tokens are drawn at once: one call into OpenSSL per token was about a tenth of the hold route's CPU. */
const TOKENS_PER_DRAW = 256;
let pool = Buffer.alloc(0);
let offset = 0;

/** 256 random bits as 64 hex characters: the secret a buyer needs to turn a hold into an order. */
export function generateHoldToken(): string {
  if (offset >= pool.length) {
    // A fresh buffer each time: bytes once handed out are never reused or overwritten.
    pool = randomBytes(TOKEN_BYTES * TOKENS_PER_DRAW);
    offset = 0;
  }
  const token = pool.toString('hex', offset, offset + TOKEN_BYTES);
  offset += TOKEN_BYTES;
  return token;
}

/** The only form in which a token is stored. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/**
 * Compares two hex digests in time that does not depend on where they first differ, so a caller
 * cannot learn a stored hash byte by byte from response times.
 */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

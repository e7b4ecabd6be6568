import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 256 random bits as 64 hex characters: the secret a buyer needs to turn a hold into an order. */
export function generateHoldToken(): string {
  return randomBytes(32).toString('hex');
}

/** The only form in which a token is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
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

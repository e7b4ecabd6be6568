import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A check of presented secrets against one expected secret whose time does not depend on how
 * much of the secret matched, nor on either length: both sides are SHA-256 digests (always 32
 * bytes) compared with `crypto.timingSafeEqual`. A plain `===` stops at the first differing
 * character, which lets a caller find a token byte by byte from response times.
 *
 * @example
 * const isAdmin = secretMatcher(process.env.FLASHSALE_ADMIN_TOKEN!);
 * isAdmin('guess'); // false, in the same time as any other guess
 */
export function secretMatcher(expected: string): (presented: string) => boolean {
  const expectedDigest = digest(expected);
  return (presented) => timingSafeEqual(digest(presented), expectedDigest);
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

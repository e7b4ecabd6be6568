import { FlashSaleError } from './errors.js';

/** Up to 9,999,999.99: price × the largest qty stays a safe integer. */
export const MAX_PRICE_CENTS = 999_999_999;
/** A price on the wire: a decimal string up to 9999999.99 with at most two places. */
export const DECIMAL_PRICE = /^(0|[1-9]\d{0,6})(?:\.(\d{1,2}))?$/;

/**
 * Formats integer minor units (cents) as the decimal string used on the wire.
 *
 * @example formatCents(9999) // "99.99"
 */
export function formatCents(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0) throw new RangeError(`not a money amount: ${cents}`);
  const whole = Math.floor(cents / 100);
  const fraction = String(cents % 100).padStart(2, '0');
  return `${whole}.${fraction}`;
}

/**
 * Parses a decimal price string ("99.99", "5", "0.5") into integer cents, without floating point.
 *
 * @example parseCents("99.99") // 9999
 */
export function parseCents(text: string): number {
  const match = DECIMAL_PRICE.exec(text.trim());
  if (!match) {
    throw new FlashSaleError('invalid_input', `"${text}" is not a price: use a decimal up to 9999999.99 with at most two places, like 99.99.`, {
      issues: [{ path: 'price', message: 'expected a decimal string with at most two places' }],
    });
  }
  const whole = Number(match[1]);
  const fraction = Number((match[2] ?? '').padEnd(2, '0'));
  return whole * 100 + fraction;
}

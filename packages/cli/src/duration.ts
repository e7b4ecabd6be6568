const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(?:\.(\d{1,3}))?(ms|s|m|h|d)$/;

/**
 * Parses a duration such as `1500ms`, `30s`, `2m`, `1h` or `1d` into whole milliseconds. A unit is
 * required: a bare `120` could mean seconds or milliseconds, and guessing wrong by a factor of
 * 1000 is how holds end up lasting two hours. Throws a `RangeError` saying what is accepted.
 *
 * @example parseDuration('2m') // 120000
 * @example parseDuration('1.5s') // 1500
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new RangeError(`"${text}" is not a duration: use a number and a unit, like 1500ms, 30s, 2m, 1h or 1d`);
  }
  const [, whole, fraction = '', unit] = match;
  // Integer arithmetic only: 1.1 * 1000 is 1100.0000000000002 in floating point.
  const scale = 10 ** fraction.length;
  const scaled = Number(whole + fraction) * UNITS[unit as keyof typeof UNITS];
  const ms = scaled / scale;
  if (!Number.isSafeInteger(scaled) || scaled % scale !== 0) throw new RangeError(`"${text}" is not a whole number of milliseconds, or is too long`);
  if (ms <= 0) throw new RangeError(`"${text}" must be longer than zero`);
  return ms;
}

/**
 * Formats milliseconds in the largest unit that divides them exactly, the inverse of
 * {@link parseDuration}, for help texts and start-up lines.
 *
 * @example formatDuration(120000) // "2m"
 * @example formatDuration(1500) // "1500ms"
 */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNITS[unit] && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

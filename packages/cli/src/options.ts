import { formatCents, INPUT_LIMITS, parseCents, parseInstant } from '@flashsale/core';
import { InvalidArgumentError, Option } from 'commander';
import { parseDuration } from './duration.js';
import { DEFAULT_DB } from './open-store.js';

/** `--db`, shared by every command that touches storage. */
export function dbOption(): Option {
  return new Option('--db <url>', 'database: a file path, sqlite:path, :memory:, postgres://user:pass@host/db or mysql://user:pass@host:3306/db')
    .env('DATABASE_URL')
    .default(DEFAULT_DB);
}

/** `--json`: machine-readable output on stdout. */
export function jsonOption(): Option {
  return new Option('--json', 'print the result as JSON (for scripts)');
}

/**
 * A commander argument parser for an integer in [min, max].
 *
 * @example new Option('--port <n>').argParser(intArg(0, 65535))
 */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected a whole number ≥ ${min}.` : `expected a whole number from ${min} to ${max}.`);
    }
    return n;
  };
}

/** A commander argument parser for durations (`1500ms`, `30s`, `2m`, `1h`), giving milliseconds. */
export function durationArg(max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      throw new InvalidArgumentError(`${(error as Error).message}.`);
    }
    if (ms > max) throw new InvalidArgumentError(`at most ${max} ms.`);
    return ms;
  };
}

/** A commander argument parser for a price such as `99.99`, giving its normalised decimal string. */
export function priceArg(value: string): string {
  try {
    return formatCents(parseCents(value));
  } catch {
    throw new InvalidArgumentError('expected a decimal price with at most two places, like 99.99.');
  }
}

// Drops: a sale instant and a per-buyer limit; `none` clears one (products:update).
const INSTANT_HELP = 'expected an ISO-8601 date and time with a zone, like 2030-01-01T09:00:00Z or 2030-01-01T10:00:00+01:00';

/**
 * What `none` parses to. Not null: commander turns an option parser's null into an empty string.
 * {@link orNull} makes it null.
 */
export const NONE = 'none';

/** An option value parsed by a clearable parser, with `none` as null. */
export function orNull<T>(value: T | typeof NONE): T | null {
  return value === NONE ? null : value;
}

/** A commander argument parser for a sale instant, giving epoch ms; with `clearable`, `none` gives {@link NONE}. */
export function instantArg(clearable: boolean): (value: string) => number | typeof NONE {
  return (value) => {
    if (clearable && value.trim() === NONE) return NONE;
    const ms = parseInstant(value.trim());
    if (ms === undefined) throw new InvalidArgumentError(`${INSTANT_HELP}${clearable ? ', or none' : ''}.`);
    return ms;
  };
}

/** A commander argument parser for a per-buyer limit; with `clearable`, `none` gives {@link NONE}. */
export function limitArg(clearable: boolean): (value: string) => number | typeof NONE {
  const whole = intArg(1, INPUT_LIMITS.maxPerBuyer.max);
  return (value) => {
    if (clearable && value.trim() === NONE) return NONE;
    try {
      return whole(value);
    } catch {
      throw new InvalidArgumentError(`expected a whole number from 1 to ${INPUT_LIMITS.maxPerBuyer.max}${clearable ? ', or none' : ''}.`);
    }
  };
}

import { parseCents, formatCents } from '@flashsale/core';
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

/**
 * Throws a RangeError naming the option unless `value` is a positive safe integer: how every
 * numeric option of the server (timeouts, limits) is checked, at start-up rather than per request.
 *
 * @example assertPositiveInteger('timeoutMs', options.timeoutMs ?? 1_000);
 */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

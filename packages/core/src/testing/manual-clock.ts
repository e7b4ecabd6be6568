import type { EpochMs } from '../domain.js';

/** A clock that moves only when told to, so expiry is tested without sleeping. */
export interface ManualClock {
  (): EpochMs;
  advance(ms: number): void;
  set(at: EpochMs): void;
}

/** @example const clock = manualClock(); const sale = createFlashSale({ store, clock }); clock.advance(120_000); */
export function manualClock(start: EpochMs = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (at) => {
    now = at;
  };
  return clock;
}

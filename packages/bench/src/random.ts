import { seededRandom as mulberry32 } from '@flashsale/core';

/**
 * The core's seeded generator with the helpers the bench draws with, so `--seed` repeats the
 * same buyers' choices.
 *
 * @example const rng = seededRandom(1); rng.next(); rng.int(1, 5); rng.shuffle([1, 2, 3]);
 */
export function seededRandom(seed: number) {
  const next = mulberry32(seed);
  return {
    next,
    /** An integer in [min, max]. */
    int: (min: number, max: number): number => min + Math.floor(next() * (max - min + 1)),
    /** True with probability `p`. */
    chance: (p: number): boolean => next() < p,
    /** Shuffles in place (Fisher-Yates) and returns the array. */
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [items[i], items[j]] = [items[j]!, items[i]!];
      }
      return items;
    },
  };
}

export type Random = ReturnType<typeof seededRandom>;

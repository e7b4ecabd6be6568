/**
 * A small seeded generator (mulberry32), so `--seed` repeats the same buyers' choices.
 *
 * @example const rng = seededRandom(1); rng.next(); rng.int(1, 5); rng.shuffle([1, 2, 3]);
 */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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

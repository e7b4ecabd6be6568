export { seededRandom } from '../../seeded-random.js';

/** Whole numbers from `min` to `max`, both included. */
export const randomInt = (random: () => number, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

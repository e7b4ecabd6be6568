import type { Strategy } from '../options.js';

/** One way to take stock for one buyer, driven by engine mode. */
export interface HoldRunner {
  strategy: Strategy;
  /** `engine`: @flashsale/core's own path. `comparison baseline`: bench-local SQL, for comparison only. */
  kind: 'engine' | 'comparison baseline';
  /** Takes `qty` units of the product: true when granted, false when refused for lack of stock. */
  hold(productId: number, qty: number): Promise<boolean>;
}

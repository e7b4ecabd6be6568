import type { FlashSaleOptions } from '../../api.js';
import type { SaleUnderTest } from '../harness.js';

/** Opens a fresh store and engine for one test; checked and closed after it. */
export type Setup = (options?: Partial<FlashSaleOptions> & { tampered?: boolean }) => Promise<SaleUnderTest>;

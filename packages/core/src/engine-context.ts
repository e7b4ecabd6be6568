import type { EpochMs } from './domain.js';
import type { EventListener } from './events.js';
import type { EngineSettings } from './options.js';
import type { FlashSaleStore } from './store.js';

/** What every use case of the engine works with: built once by `createFlashSale`. */
export interface EngineContext {
  store: FlashSaleStore;
  settings: EngineSettings;
  clock: () => EpochMs;
  generateToken: () => string;
  emit: EventListener;
}

import { runModelBasedTests, runStoreConformance, openMemoryStore, type MemoryStore } from '../src/testing/index.js';

// The reference store proves the suite: what the adapters must pass, it passes too.
runStoreConformance({
  name: 'memory (reference)',
  createStore: () => openMemoryStore(),
  tamperAvailable: async (store, productId, delta) => (store as MemoryStore).tamperAvailable(productId, delta),
});

runModelBasedTests({ name: 'memory (reference)', createStore: () => openMemoryStore(), runs: 100 });

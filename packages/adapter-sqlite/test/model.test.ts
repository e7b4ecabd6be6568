import { runModelBasedTests } from '@flashsale/core/testing';
import { openSqliteStore } from '../src/index.js';
import { fileStores } from './temp-db.js';

// In memory a history costs a few milliseconds: the cheapest place to explore many of them.
runModelBasedTests({
  name: 'sqlite (:memory:)',
  createStore: () => openSqliteStore({ filename: ':memory:' }),
  runs: 150,
});

runModelBasedTests({ name: 'sqlite (file)', ...fileStores() });

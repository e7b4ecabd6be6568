import { defineConfig } from 'vitest/config';

// Packages export `./src/index.ts` under the `@flashsale/source` condition, so tests run the
// TypeScript sources directly, with no build step between packages.
const conditions = ['@flashsale/source', 'node', 'import', 'module', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@flashsale/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'adapter-sqlite', include: ['packages/adapter-sqlite/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'adapter-postgres', include: ['packages/adapter-postgres/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'server', include: ['packages/server/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'cli', include: ['packages/cli/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'bench', include: ['packages/bench/test/**/*.test.ts'] } },
    ],
  },
});

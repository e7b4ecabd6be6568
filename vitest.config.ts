import { defineConfig } from 'vitest/config';

// Packages export `./src/index.ts` under the `@flashsale/source` condition, so tests run the
// TypeScript sources directly, with no build step between packages.
const conditions = ['@flashsale/source', 'node', 'import', 'module', 'default'];
// Vitest hands the SSR conditions to Node as --conditions. With `import` among them, Node loads
// pg-pool's ESM build from inside pg's CommonJS code and every file importing pg dies with
// "Class extends value [object Module]", so the SSR list leaves it out.
const ssrConditions = ['@flashsale/source', 'node', 'module', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: ssrConditions, externalConditions: ['@flashsale/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'adapter-sqlite', include: ['packages/adapter-sqlite/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'adapter-postgres', include: ['packages/adapter-postgres/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'adapter-mysql', include: ['packages/adapter-mysql/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'server', include: ['packages/server/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'cli', include: ['packages/cli/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'bench', include: ['packages/bench/test/**/*.test.ts'] } },
    ],
  },
});

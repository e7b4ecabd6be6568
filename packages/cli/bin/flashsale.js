#!/usr/bin/env node
// The installed `flashsale` command. A built package runs dist/bin.js. Inside the workspace, with
// no build, it runs the TypeScript sources the way `pnpm flashsale` does: through tsx, resolving
// workspace packages with the `@flashsale/source` export condition. Both happen in this process,
// so signals (Ctrl-C, SIGTERM) reach the server directly.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const dist = new URL('../dist/bin.js', import.meta.url);
if (existsSync(dist)) {
  await import(dist.href);
} else {
  let registerTsx;
  try {
    ({ register: registerTsx } = await import('tsx/esm/api'));
  } catch {
    console.error('flashsale: this package is not built (no dist/) and tsx is not installed: run `pnpm install` in the workspace, or build the package.');
    process.exit(1);
  }
  registerTsx();
  // Hooks registered later run first: this one adds the condition, then tsx resolves.
  register(
    'data:text/javascript,' +
      encodeURIComponent(
        "export async function resolve(specifier, context, next) { return next(specifier, { ...context, conditions: [...context.conditions, '@flashsale/source'] }); }",
      ),
  );
  await import(new URL('../src/bin.ts', import.meta.url).href);
}

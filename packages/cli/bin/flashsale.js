#!/usr/bin/env node
// The installed `flashsale` command: runs the built dist/bin.js, in this process, so signals
// (Ctrl-C, SIGTERM) reach the server directly. It never compiles TypeScript. In the workspace,
// `pnpm build` makes dist/, and `pnpm flashsale …` runs the sources without a build.
import { existsSync } from 'node:fs';

const dist = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(dist)) {
  console.error('flashsale: this @flashsale/cli is not built (no dist/bin.js). In the workspace, run `pnpm build`, or `pnpm flashsale …` to run from the sources.');
  process.exit(1);
}
await import(dist.href);

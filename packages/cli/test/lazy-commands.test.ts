import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'flashsale-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOOKS = new URL('./helpers/module-log-hooks.mjs', import.meta.url).href;

/** Runs `flashsale <args>` in a child process and returns its exit status and every file module it resolved. */
async function modulesLoadedBy(args: string[]): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  const log = join(dir, `modules-${args[0]!.replace(/\W/g, '_')}.log`);
  const registerHooks = `import { register } from 'node:module'; register(${JSON.stringify(HOOKS)}, { data: { log: ${JSON.stringify(log)} } });`;
  const result = await runCli(args, { nodeFlags: ['--import', `data:text/javascript,${encodeURIComponent(registerHooks)}`] });
  return { code: result.code, stderr: result.stderr, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** The HTTP server, the load generator, and what only they use. */
const SERVER_OR_BENCH = /\/(packages\/(server|bench)|@flashsale\/(server|bench)|hono|@hono|autocannon|undici|pino|prom-client|rate-limiter-flexible)\//;
/** The bench's defaults and names, which `bench --help` shows: one small module with no imports. */
const BENCH_OPTIONS = /\/bench\/(src|dist)\/options\.[jt]s$/;
/** The PostgreSQL adapter's schema-name rule (`@flashsale/adapter-postgres/schema-name`). */
const SCHEMA_NAME_RULE = /\/adapter-postgres\/(src|dist)\/schema-name\.[jt]s$/;
const heavy = (url: string) => SERVER_OR_BENCH.test(url) && !BENCH_OPTIONS.test(url);

// A cron run of holds:release should cost commander, the engine and one adapter, not the server's
// and the bench's dependencies: they once made every one-shot command take over half a second more.
describe('one-shot commands load neither the HTTP server nor the bench', () => {
  it.each([
    ['holds:release', ['holds:release', '--db', join(dir, 'release.db'), '--json']],
    ['verify', ['verify', '--db', join(dir, 'verify.db'), '--json']],
    ['events:tail', ['events:tail', '--db', join(dir, 'events.db'), '--json']],
  ])('%s', async (_name, args) => {
    const { code, stderr, modules } = await modulesLoadedBy(args);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // The log does see package loads: the engine, the adapter and the command line parser are there.
    expect(modules.some((url) => /\/packages\/core\/src\//.test(url))).toBe(true);
    expect(modules.some((url) => /\/packages\/adapter-sqlite\/src\//.test(url))).toBe(true);
    expect(modules.some((url) => /\/commander\//.test(url))).toBe(true);
    expect(modules.filter(heavy)).toEqual([]);
  });

  it('--help loads no adapter either', async () => {
    const { code, modules } = await modulesLoadedBy(['--help']);
    expect(code).toBe(0);
    expect(modules.some((url) => /\/commander\//.test(url))).toBe(true);
    // Parsing --db checks ?schema= with the PostgreSQL adapter's rule: one small module with no
    // imports, so no store and no driver comes with it.
    const adapterOrDriver = modules.filter((url) => heavy(url) || /\/(adapter-sqlite|adapter-postgres|better-sqlite3|pg)\//.test(url));
    expect(adapterOrDriver.filter((url) => !SCHEMA_NAME_RULE.test(url))).toEqual([]);
  });
});

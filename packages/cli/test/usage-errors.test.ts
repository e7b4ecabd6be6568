import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { runCli } from './helpers/cli-process.js';
import { memoryIo } from './helpers/memory-io.js';

/** A usage error: status 2, exactly one line on stderr, nothing on stdout, no stack trace. */
function expectOneLineUsageError(result: { code: number | null; stdout: string; stderr: string }, message: RegExp) {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/^error: /);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/);
}

describe('bad command lines exit 2 with one line', () => {
  it('an unknown flag, from the real process, suggests the right one', async () => {
    expectOneLineUsageError(await runCli(['serve', '--prot', '8000']), /unknown option '--prot' \(Did you mean --port\?\)/);
  });

  it('a --db naming no supported database, from the real process', async () => {
    expectOneLineUsageError(await runCli(['verify', '--db', 'mongodb://root@localhost/shop']), /--db: unsupported database "mongodb:\/\/…"/);
  });

  it('a bad DATABASE_URL is reported like a bad --db', async () => {
    expectOneLineUsageError(await runCli(['verify'], { env: { DATABASE_URL: 'redis://cache' } }), /unsupported database "redis:\/\/…"/);
  });

  it.each([
    [['serve', '--hold-ttl', '2minutes'], /'--hold-ttl <duration>' argument '2minutes' is invalid\. "2minutes" is not a duration/],
    [['serve', '--sweep-interval', '120'], /use a number and a unit, like 1500ms, 30s, 2m, 1h/],
    [['serve', '--hold-ttl', '5m', '--hold-max-lifetime', '4m'], /--hold-max-lifetime \(4m\) must be at least --hold-ttl \(5m\)/],
    [['serve', '--hold-max-lifetime', 'long'], /'--hold-max-lifetime <duration>' argument 'long' is invalid/],
    [['serve', '--sweep-interval', '30d'], /at most 2147483647 ms/],
    [['serve', '--port', '70000'], /'--port <n>' argument '70000' is invalid\. expected a whole number from 0 to 65535/],
    [['serve', '--port', '80.5'], /'--port <n>' argument '80\.5' is invalid/],
    [['serve', '--rate-limit', 'carts=5'], /"carts=5" is not route=n/],
    [['serve', '--webhook-secret', 'not a secret'], /--webhook-secret: a webhook secret looks like whsec_<base64>/],
    [['products:create', '--price', '9.99', '--stock', '5'], /required option '--name <name>' not specified/],
    [['products:create', '--name', 'X', '--price', '9.999', '--stock', '5'], /'--price <decimal>' argument '9\.999' is invalid/],
    [['products:create', '--name', 'X', '--price', '9.99', '--stock', '-1'], /'--stock <n>' argument '-1' is invalid/],
    [['restock', '--product', '0', '--qty', '5'], /'--product <id>' argument '0' is invalid\. expected a whole number ≥ 1/],
    [['holds:release', '--idempotency-ttl', '0s'], /must be longer than zero/],
    [['verify', 'extra'], /too many arguments for 'verify'/],
    [['verify', '--db', ''], /--db: the database is empty/],
    [['verfy'], /unknown command 'verfy' \(Did you mean verify\?\)/],
  ])('flashsale %j', async (argv, message) => {
    const io = memoryIo();
    const code = await main(argv, io);
    expectOneLineUsageError({ code, stdout: io.out(), stderr: io.err() }, message);
  });
});

describe('help', () => {
  it.each(['serve', 'migrate', 'seed', 'products:create', 'products:update', 'restock', 'holds:release', 'verify'])('%s --help prints its flags and exits 0', async (command) => {
    const io = memoryIo();
    expect(await main([command, '--help'], io)).toBe(0);
    expect(io.out()).toContain(`Usage: flashsale ${command}`);
    expect(io.out()).toContain('--db <url>');
    expect(io.err()).toBe('');
  });

  it('lists every command', async () => {
    const io = memoryIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const command of ['serve', 'migrate', 'seed', 'products:create', 'products:update', 'restock', 'holds:release', 'verify']) {
      expect(io.out()).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  it('serve --help names its environment variables', async () => {
    const io = memoryIo();
    await main(['serve', '--help'], io);
    const help = io.out().replace(/\s+/g, ' '); // help wraps at 80 columns
    for (const name of ['DATABASE_URL', 'FLASHSALE_WEBHOOK_SECRET', 'FLASHSALE_ADMIN_TOKEN', 'FLASHSALE_METRICS_TOKEN', 'FLASHSALE_BUYER_JWT_KEY']) expect(help).toContain(`env: ${name}`);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseBuyerKey } from '../src/index.js';
import { harness } from './helpers.js';

/**
 * `redocly lint` with its recommended rules (packages/server/redocly.yaml) over the document the
 * server generates, in both shapes it takes: signed webhooks with the admin API, and neither.
 * Every error and every warning fails the test, so code generators get a clean document.
 */

const run = promisify(execFile);
const redoclyBin = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
const config = fileURLToPath(new URL('../redocly.yaml', import.meta.url));
const SECRET = 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';

interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  location: { pointer?: string }[];
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flashsale-openapi-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lints one document; returns each problem as "severity rule at pointer: message". */
async function lint(name: string, document: unknown): Promise<string[]> {
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(document));
  // Telemetry off and no update check: the lint must run, and pass, with no network.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, [redoclyBin, 'lint', '--config', config, '--format', 'json', file], { env }));
  } catch (err) {
    // Exit status 1 when there are errors; the report is still on stdout.
    stdout = (err as { stdout?: string }).stdout ?? '';
    if (!stdout) throw err;
  }
  const report = JSON.parse(stdout) as { problems: LintProblem[] };
  return report.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`);
}

async function documentOf(options: Parameters<typeof harness>[0]): Promise<Record<string, unknown>> {
  const res = await harness(options).get('/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe('redocly lint (recommended rules) of /openapi.json', () => {
  test('signed webhooks and the admin API: no error, no warning', async () => {
    expect(await lint('signed', await documentOf({ adminToken: 'admin-token', webhookSecret: SECRET }))).toEqual([]);
  });

  test('buyer tokens on, with the admin API: no error, no warning', async () => {
    const buyerToken = { key: parseBuyerKey('a-buyer-secret-of-at-least-thirty-two-bytes') };
    expect(await lint('buyer-tokens', await documentOf({ adminToken: 'admin-token', buyerToken }))).toEqual([]);
  });

  test('unsigned webhooks, no admin API: no error, no warning', async () => {
    expect(await lint('unsigned', await documentOf({}))).toEqual([]);
  });

  test('the lint does catch a broken document (an operation without operationId or security)', async () => {
    const document = await documentOf({});
    const get = (document.paths as Record<string, Record<string, Record<string, unknown>>>)['/api/products/{id}']!.get!;
    delete get.operationId;
    delete get.security;
    const problems = await lint('broken', document);
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^warn operation-operationId /), expect.stringMatching(/^error security-defined /)]),
    );
  });
});

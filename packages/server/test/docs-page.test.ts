import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { acceptsGzip } from '../src/api-docs/docs-routes.js';
import { expectProblem, harness } from './helpers.js';

const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The asset URLs the page references, relative to the page. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(docs\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('GET /docs', () => {
  test('is a page whose every file comes from this server, none from anywhere else', async () => {
    const h = harness();
    const res = await h.get('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8$/i);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const policy = res.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('data-openapi-url="openapi.json"');
    // No absolute URL at all: nothing to fetch from a CDN, and the page works under a mount prefix.
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    expect(assetUrls(html).map((url) => url.split('/').pop()).sort()).toEqual(
      ['favicon-32x32.png', 'flashsale-docs.js', 'swagger-ui-bundle.js', 'swagger-ui.css'].sort(),
    );
  });

  test('serves the installed swagger-ui-dist files byte for byte, with their types and a long cache', async () => {
    const h = harness();
    const html = await (await h.get('/docs')).text();
    const types: Record<string, string> = {
      'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
      'swagger-ui.css': 'text/css; charset=utf-8',
      'favicon-32x32.png': 'image/png',
    };
    for (const [name, type] of Object.entries(types)) {
      const url = assetUrls(html).find((u) => u.endsWith(`/${name}`))!;
      const res = await h.get(`/${url}`);
      expect(res.status, name).toBe(200);
      expect(res.headers.get('content-type')).toBe(type);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(Buffer.from(await res.arrayBuffer()).equals(await readFile(join(distDir, name)))).toBe(true);
    }
  });

  test('gzips for clients that accept it', async () => {
    const h = harness();
    const url = assetUrls(await (await h.get('/docs')).text()).find((u) => u.endsWith('/swagger-ui-bundle.js'))!;
    const res = await h.get(`/${url}`, { 'accept-encoding': 'gzip, deflate, br' });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    const body = Buffer.from(await res.arrayBuffer());
    expect(gunzipSync(body).equals(await readFile(join(distDir, 'swagger-ui-bundle.js')))).toBe(true);
    expect(body.length).toBeLessThan(700_000);
  });

  test('the initializer points Swagger UI at the document and turns off the online validator badge', async () => {
    const h = harness();
    const url = assetUrls(await (await h.get('/docs')).text()).find((u) => u.endsWith('/flashsale-docs.js'))!;
    const script = await (await h.get(`/${url}`)).text();
    expect(script).toContain('root.dataset.openapiUrl');
    expect(script).toContain('validatorUrl: null');
  });

  test('reaches no other file: unknown names, other package files, traversal and stale hashes are 404', async () => {
    const h = harness();
    const bundle = assetUrls(await (await h.get('/docs')).text()).find((u) => u.endsWith('/swagger-ui-bundle.js'))!;
    const hash = bundle.split('/')[2]!;
    for (const path of [
      `/docs/assets/${hash}/package.json`,
      `/docs/assets/${hash}/index.html`,
      `/docs/assets/${hash}/swagger-ui-bundle.js.map`,
      `/docs/assets/${hash}/..%2F..%2Fpackage.json`,
      `/docs/assets/${hash}/%2e%2e%2fpackage.json`,
      `/docs/assets/${hash}/..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
      '/docs/assets/0000000000000000/swagger-ui-bundle.js',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/swagger-ui-bundle.js',
    ]) {
      await expectProblem(await h.get(path), 404, 'not_found');
    }
  });

  test('docs: false serves neither the page, its files, nor the document', async () => {
    const h = harness({ docs: false });
    await expectProblem(await h.get('/docs'), 404, 'not_found');
    await expectProblem(await h.get('/openapi.json'), 404, 'not_found');
  });
});

describe('acceptsGzip', () => {
  test.each([
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['br, gzip;q=0.8', true],
    ['GZIP', true],
    ['gzip;q=0', false],
    ['gzip; q=0.0', false],
    ['br', false],
    ['*', true],
    ['*, gzip;q=0', false],
    ['identity, *;q=0', false],
  ])('%j → %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});

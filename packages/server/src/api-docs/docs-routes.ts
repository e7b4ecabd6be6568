import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { requestHeader } from '../node-http/node-request.js';
import { HttpProblem } from '../problems/http-problem.js';
import { docsAssetLoader, docsAssetsRelease, INITIALIZER_NAME, type PackageFileName } from './swagger-ui-assets.js';

/** Where the app serves the OpenAPI document and the page that renders it. */
export const OPENAPI_PATH = '/openapi.json';
const DOCS_PATH = '/docs';

/**
 * Everything the page needs comes from this server: scripts and styles from the files above, the
 * document from OPENAPI_PATH, "Try it out" calls to the same origin. Inline styles are Swagger
 * UI's own (React style attributes); inline scripts are not needed, so they are refused.
 */
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join('; ');

/** An asset URL names its release, so its content never changes: cache it for a year without asking again. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * GET /docs: Swagger UI, served from the swagger-ui-dist package the lockfile pins, so the page
 * works with no network and loads nothing from anywhere else. Its files live under
 * /docs/assets/<release>/<name>, from a fixed list (no path from the request ever reaches the
 * file system), cached for good; the page itself is revalidated on every visit, so a new release
 * of the files is picked up at once.
 *
 * The page is answered without waiting for anything: Node's HTTP server drops an unanswered
 * request when its client half-closes the connection, so only the files wait for their first read.
 */
export function docsRoutes(): Hono<AppEnv> {
  const loadAssets = docsAssetLoader();
  const release = docsAssetsRelease();
  const html = page(release);
  const router = new Hono<AppEnv>();
  router.get(DOCS_PATH, (c) =>
    c.html(html, 200, {
      'Cache-Control': 'no-cache',
      'Content-Security-Policy': PAGE_POLICY,
      'X-Content-Type-Options': 'nosniff',
    }),
  );
  router.get(`${DOCS_PATH}/assets/:release/:name`, async (c) => {
    const asset = c.req.param('release') === release ? (await loadAssets()).get(c.req.param('name')) : undefined;
    if (!asset) throw new HttpProblem('not_found', `No docs asset at ${c.req.path}.`);
    const gzipped = acceptsGzip(requestHeader(c, 'accept-encoding'));
    const headers: Record<string, string> = {
      'Content-Type': asset.contentType,
      'Cache-Control': ASSET_CACHE,
      'X-Content-Type-Options': 'nosniff',
      Vary: 'Accept-Encoding',
    };
    if (gzipped) headers['Content-Encoding'] = 'gzip';
    return c.body(gzipped ? asset.gzipped : asset.body, 200, headers);
  });
  return router;
}

/**
 * The page. Every URL in it is relative to the page (`docs/assets/...`, `openapi.json`), so the
 * app keeps working when mounted under a prefix in another app.
 */
function page(release: string): string {
  const url = (name: PackageFileName | typeof INITIALIZER_NAME) => `${DOCS_PATH.slice(1)}/assets/${release}/${name}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flashsale API</title>
<link rel="stylesheet" href="${url('swagger-ui.css')}">
<link rel="icon" type="image/png" href="${url('favicon-32x32.png')}">
</head>
<body>
<noscript>This page needs JavaScript. The OpenAPI document itself is at <a href="${OPENAPI_PATH.slice(1)}">${OPENAPI_PATH}</a>.</noscript>
<div id="swagger-ui" data-openapi-url="${OPENAPI_PATH.slice(1)}"></div>
<script src="${url('swagger-ui-bundle.js')}"></script>
<script src="${url(INITIALIZER_NAME)}"></script>
</body>
</html>
`;
}

/**
 * Whether Accept-Encoding allows gzip: named with a q above 0, or covered by `*` when not named.
 *
 * @example acceptsGzip('br, gzip;q=0.8') // true; acceptsGzip('*, gzip;q=0') // false
 */
export function acceptsGzip(header: string | undefined): boolean {
  const weights = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';').map((p) => p.trim());
    const q = params.find((p) => p.startsWith('q='));
    weights.set(coding, q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  return (weights.get('gzip') ?? weights.get('*') ?? 0) > 0;
}

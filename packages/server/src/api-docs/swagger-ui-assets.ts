import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

/** One file the /docs page loads, ready to answer with. */
interface DocsAsset {
  /** Its name in the URL, such as `swagger-ui-bundle.js`. */
  name: string;
  contentType: string;
  body: Uint8Array<ArrayBuffer>;
  /** `body` gzipped, for clients that accept it (the bundle shrinks from 1.7 MB to about 0.5 MB). */
  gzipped: Uint8Array<ArrayBuffer>;
}

/**
 * The only files /docs serves from swagger-ui-dist, by URL name. Nothing else in the package (or
 * on disk) can be reached: a request names a key of this list, never a path.
 */
const PACKAGE_FILES = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;

export type PackageFileName = keyof typeof PACKAGE_FILES;

/**
 * Starts Swagger UI on the page. A file of its own rather than an inline script, so the page can
 * forbid inline scripts (Content-Security-Policy `script-src 'self'`). The document's URL comes
 * from the page (`data-openapi-url`), relative to it, so the app works mounted under a prefix.
 * `validatorUrl: null`: Swagger UI would otherwise load a badge from validator.swagger.io.
 */
const INITIALIZER = `window.addEventListener('load', function () {
  var root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: new URL(root.dataset.openapiUrl, document.baseURI).href,
    domNode: root,
    deepLinking: true,
    displayOperationId: true,
    validatorUrl: null,
  });
});
`;

export const INITIALIZER_NAME = 'flashsale-docs.js';

const gzipAsync = promisify(gzip);

async function asset(name: string, contentType: string, body: Buffer): Promise<DocsAsset> {
  // Copied once into plain ArrayBuffer-backed arrays, the type a web Response body takes.
  return { name, contentType, body: new Uint8Array(body), gzipped: new Uint8Array(await gzipAsync(body, { level: 9 })) };
}

const require = createRequire(import.meta.url);

/** The directory of the installed swagger-ui-dist: the version the lockfile pins. */
function swaggerUiDistDir(): string {
  return dirname(require.resolve('swagger-ui-dist/package.json'));
}

/**
 * A name for this set of files, for their URLs: 16 hex digits of a SHA-256 over the
 * swagger-ui-dist version (a published version's files never change) and the initializer. New
 * files get a new name, so the old ones may be cached for good. Known without reading the files,
 * so the page is answered at once.
 */
export function docsAssetsRelease(): string {
  const { version } = require('swagger-ui-dist/package.json') as { version: string };
  return createHash('sha256').update(`swagger-ui-dist@${version}\u0000${INITIALIZER}`).digest('hex').slice(0, 16);
}

/**
 * Reads and gzips the page's files once, on the first request for one of them (about 2 MB read):
 * a server nobody asks for docs never does.
 */
export function docsAssetLoader(): () => Promise<ReadonlyMap<string, DocsAsset>> {
  let loading: Promise<ReadonlyMap<string, DocsAsset>> | undefined;
  const load = async () => {
    const dir = swaggerUiDistDir();
    const assets = await Promise.all([
      ...Object.entries(PACKAGE_FILES).map(async ([name, type]) => asset(name, type, await readFile(join(dir, name)))),
      asset(INITIALIZER_NAME, 'text/javascript; charset=utf-8', Buffer.from(INITIALIZER, 'utf8')),
    ]);
    return new Map(assets.map((a) => [a.name, a]));
  };
  return () => {
    loading ??= load().catch((err: unknown) => {
      loading = undefined; // a failed read is retried by the next request, not remembered
      throw err;
    });
    return loading;
  };
}

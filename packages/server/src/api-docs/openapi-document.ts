import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/** What the document says about the parts of the API that are switched on. */
interface DocumentScope {
  /** The admin routes are mounted (an admin token is configured). */
  admin: boolean;
}

const TAGS = [
  { name: 'products', description: 'What is for sale and how much is left.' },
  { name: 'holds', description: 'Stock reserved for a short time, taken at once, given back exactly once if unused.' },
  { name: 'orders', description: 'A hold and its token turned into an order waiting for payment.' },
  { name: 'payments', description: "The payment provider's callback: idempotent, and signed when the server has a webhook secret." },
  { name: 'admin', description: 'Products and restocking, behind the admin bearer token. Absent when no admin token is configured.' },
  { name: 'operations', description: 'Health, readiness, metrics and problem types.' },
] as const;

/**
 * The OpenAPI 3.1 document at /openapi.json: the paths come from the route schemas that validate,
 * the rest from here.
 *
 * `servers` is the relative URL "/": a client resolves it against the URL it fetched the document
 * from, so the document is right on any host and port and behind any proxy, with nothing taken
 * from the request. Building an absolute URL from the request's Host (or X-Forwarded-*) header
 * would be wrong behind a TLS-terminating proxy and would let a forged Host header put another
 * origin into a document that a cache might then hand to everyone.
 */
export function registerOpenApiDocument(app: OpenAPIHono<AppEnv>, path: string, scope: DocumentScope): void {
  app.doc31(path, {
    openapi: '3.1.0',
    info: {
      title: 'flashsale',
      version: '0.1.0',
      description:
        'Sell a limited stock to a stampede without overselling. Errors are application/problem+json (RFC 9457) with a stable `code`; ' +
        'GET /problems/{code} describes each.',
      license: { name: 'MIT', url: 'https://spdx.org/licenses/MIT.html' },
    },
    servers: [{ url: '/', description: 'The server that serves this document.' }],
    tags: TAGS.filter((tag) => tag.name !== 'admin' || scope.admin).map((tag) => ({ ...tag })),
  });
}

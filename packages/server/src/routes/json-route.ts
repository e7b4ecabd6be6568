import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/**
 * Puts `route` in /openapi.json as it is, and returns it without its request body, for
 * `router.openapi()`: zod-openapi then validates the path and headers (before the handler, as
 * before) but not the body, whose Content-Type it would test with a regex of its own. The handler
 * reads the body with `readJsonBody` instead, so every JSON route answers alike.
 *
 * @example router.openapi(documentedRoute(router, orderRoute), async (c) => { const body = await readJsonBody(c, OrderRequest, max); … })
 */
export function documentedRoute<R extends RouteConfig>(router: OpenAPIHono<AppEnv>, route: R): Omit<R, 'request'> & { request: Omit<NonNullable<R['request']>, 'body'>; hide: true } {
  const { middleware: _middleware, hide: _hide, ...documented } = route;
  router.openAPIRegistry.registerPath(documented);
  const { body: _body, ...request } = route.request ?? {};
  return { ...route, request: request as Omit<NonNullable<R['request']>, 'body'>, hide: true };
}

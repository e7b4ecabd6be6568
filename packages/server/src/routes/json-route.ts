import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';

/*
 * The one place that relies on how zod-openapi's `router.openapi()` works inside: it registers a
 * route in /openapi.json unless `hide` is set, adds a validator for each part of `request` it finds
 * (and a Content-Type gate for a body), and runs `middleware` before them. Check it after an upgrade.
 */

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

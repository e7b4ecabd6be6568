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
  document(router, route);
  const { body: _body, ...request } = route.request ?? {};
  return { ...route, request: request as Omit<NonNullable<R['request']>, 'body'>, hide: true };
}

/**
 * Puts `route` in /openapi.json as it is, and returns it for `router.openapi()` with no `request`
 * at all, so zod-openapi adds no validator: the route runs its `middleware`, then the handler,
 * which validates headers and body itself with the same schemas. Its answers are typed as plain
 * responses, since such a handler also writes its own problem answers (pre-serialised, not through
 * `c.json()`). For the hold route, whose validators made the Node adapter build a web `Headers`
 * and body stream per request.
 *
 * @example router.openapi(validatedInHandler(router, holdRoute), async (c) => { const body = parseWith(HoldRequest, await readJson(c, max), 'json', c); … })
 */
export function validatedInHandler<R extends RouteConfig>(
  router: OpenAPIHono<AppEnv>,
  route: R,
): Omit<R, 'request' | 'responses'> & { hide: true; responses: RouteConfig['responses'] } {
  document(router, route);
  const { request: _request, responses, ...unvalidated } = route;
  return { ...unvalidated, responses, hide: true };
}

/** Registers the route's documentation, once: the route returned for `openapi()` is hidden. */
function document(router: OpenAPIHono<AppEnv>, route: RouteConfig): void {
  const { middleware: _middleware, hide: _hide, ...documented } = route;
  router.openAPIRegistry.registerPath(documented);
}

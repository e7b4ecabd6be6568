import type { HttpBindings } from '@hono/node-server';
import type { ProblemCode } from './problems/catalog.js';

/**
 * The Hono environment of every flashsale route. Bindings are the Node request and response when
 * run by @hono/node-server; they are absent under `app.request()` in tests or other runtimes.
 */
export interface AppEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    /** The code of the problem this request was answered with, for the request log. */
    problemCode?: ProblemCode;
  };
}

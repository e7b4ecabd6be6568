import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { validationHook } from '../middleware/validation-hook.js';

/** A sub-app whose validation failures become 400 problems. One per resource. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

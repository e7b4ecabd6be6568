import { createRoute, z } from '@hono/zod-openapi';
import type { FlashSale } from '@flashsale/core';
import type { Handler, MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../observability/metrics.js';
import { isProblemCode, PROBLEM_CATALOG } from '../problems/catalog.js';
import { HttpProblem } from '../problems/http-problem.js';
import { problemType } from '../problems/render.js';
import { createRouter } from './router.js';
import { problemResponses, PUBLIC } from './schemas.js';

interface OpsDeps {
  engine: FlashSale;
  metrics: Metrics | undefined;
  /** Guards /metrics when it has a token of its own. */
  metricsAuth?: MiddlewareHandler<AppEnv> | undefined;
  logger: Logger | undefined;
  /** How long /readyz waits for the store before answering 503. */
  readyTimeoutMs: number;
}

const StatusSchema = z.object({ status: z.literal('ok') }).openapi('Status');

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Liveness: 200 while the process runs',
  operationId: 'getHealth',
  security: PUBLIC,
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: StatusSchema } } }, ...problemResponses() },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['operations'],
  summary: 'Readiness: 200 when storage answers, 503 otherwise',
  operationId: 'getReadiness',
  security: PUBLIC,
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: StatusSchema } } },
    ...problemResponses('storage_unavailable'),
  },
});

const problemRoute = createRoute({
  method: 'get',
  path: '/problems/{code}',
  tags: ['operations'],
  summary: 'What a problem `type` means',
  operationId: 'getProblemType',
  security: PUBLIC,
  request: { params: z.object({ code: z.string().openapi({ param: { name: 'code', in: 'path' }, example: 'insufficient_stock' }) }) },
  responses: {
    200: {
      description: 'The problem type',
      content: { 'application/json': { schema: z.object({ type: z.string(), code: z.string(), title: z.string(), status: z.int() }) } },
    },
    ...problemResponses('not_found'),
  },
});

/** Documented, but served by a plain handler: its body is prom-client's text, not a zod-checked value. */
const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics: requests, latencies, holds, releases, sweeper runs',
  operationId: 'getMetrics',
  security: PUBLIC,
  responses: {
    200: { description: 'Prometheus text exposition format', content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: z.string() } } },
    ...problemResponses(),
  },
});

/** /healthz, /readyz, /metrics and /problems/{code}. */
export function opsRoutes({ engine, metrics, metricsAuth, logger, readyTimeoutMs }: OpsDeps) {
  const router = createRouter()
    .openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyRoute, async (c) => {
      try {
        await withTimeout(engine.ping(), readyTimeoutMs);
      } catch (err) {
        // The cause stays in the log: a driver message can carry a connection string.
        logger?.warn({ err }, 'readiness check failed');
        throw new HttpProblem('storage_unavailable', 'Storage is not reachable.', { headers: { 'Retry-After': '1' } });
      }
      return c.json({ status: 'ok' as const }, 200);
    })
    .openapi(problemRoute, (c) => {
      const { code } = c.req.valid('param');
      if (!isProblemCode(code)) throw new HttpProblem('not_found', 'No problem type has that code.');
      return c.json({ type: problemType(code), code, ...PROBLEM_CATALOG[code] }, 200);
    });
  if (metrics) {
    router.openAPIRegistry.registerPath(metricsRoute);
    const render: Handler<AppEnv> = async (c) => c.body(await metrics.render(), 200, { 'Content-Type': metrics.contentType });
    if (metricsAuth) router.get(metricsRoute.path, metricsAuth, render);
    else router.get(metricsRoute.path, render);
  }
  return router;
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

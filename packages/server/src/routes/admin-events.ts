import { MERCHANT_EVENT_TYPES, merchantEventJson } from '@flashsale/core';
import { createRoute, z } from '@hono/zod-openapi';
import type { RouteDeps } from './deps.js';
import { documentedRoute } from './json-route.js';
import { createRouter } from './router.js';
import { problemResponses } from './schemas.js';

/** The security scheme the admin routes declare (registered by adminRoutes). */
const security = [{ adminBearer: [] }];

const MAX_LIMIT = 1000;
const AFTER_RULE = 'must be a non-negative integer: the last position you have seen, 0 for the start';
const LIMIT_RULE = `must be an integer from 1 to ${MAX_LIMIT}`;

/** A query integer: digits only, no sign, within the safe range and `[least, most]`. */
function queryInt(rule: string, least: number, most: number) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, { error: rule })
    .refine((value) => Number.isSafeInteger(Number(value)) && Number(value) >= least && Number(value) <= most, { error: rule });
}

const EventsQuery = z.object({
  after: queryInt(AFTER_RULE, 0, Number.MAX_SAFE_INTEGER)
    .optional()
    .openapi({ param: { name: 'after', in: 'query' }, example: '0', description: 'Events with a position above this one. Default 0: from the oldest kept.' }),
  limit: queryInt(LIMIT_RULE, 1, MAX_LIMIT)
    .optional()
    .openapi({ param: { name: 'limit', in: 'query' }, example: '100', description: `At most this many events, 1 to ${MAX_LIMIT}. Default 100.` }),
});

const MerchantEventSchema = z
  .object({
    id: z.string().openapi({ example: 'evt_6f1c0f4e2b8a4d7c9e3b5a1f0d2c4e6a', description: 'Unique and stable: the same event always has the same id.' }),
    type: z.enum(MERCHANT_EVENT_TYPES).openapi({ example: 'order.completed' }),
    created_at: z.string().openapi({ example: '2030-01-01T09:00:05.000Z', description: 'When the change happened (ISO-8601 UTC).' }),
    position: z.int().openapi({ example: 42, description: 'Increasing in commit order: read on with after=<the last position you saw>.' }),
    data: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .openapi({
        example: { order_id: 7, hold_id: 12, product_id: 1, qty: 2, amount: '199.98', status: 'completed' },
        description: 'Ids, quantities, amounts (decimal strings) and statuses; never a token. Each type\'s fields are listed in docs/events.md.',
      }),
  })
  .openapi('MerchantEvent');

const EventPageSchema = z
  .object({
    events: z.array(MerchantEventSchema),
    next_after: z.int().openapi({ example: 42, description: 'The `after` of the next request: the last position here, or the `after` you sent when there was none.' }),
  })
  .openapi('MerchantEventPage');

const eventsRoute = (guards: RouteDeps['guards']) =>
  createRoute({
    method: 'get',
    path: '/api/admin/events',
    tags: ['admin'],
    summary: 'Read the events for the merchant after a position',
    description:
      'Every change a merchant cares about (orders created, completed, failed, expired or due a refund, holds released, products sold out or restocked), in position order. Positions grow in commit order: an event that commits after your read gets a position above every one you saw, so polling with after=next_after never misses one. Events are kept for the configured retention (default 7 days).',
    operationId: 'readEvents',
    security,
    middleware: guards,
    request: { query: EventsQuery },
    responses: {
      200: { description: 'A page of events', content: { 'application/json': { schema: EventPageSchema } } },
      ...problemResponses('invalid_input', 'unauthorized', 'storage_unavailable'),
    },
  });

/** GET /api/admin/events: the pull side of the outbox, behind the admin token. */
export function adminEventRoutes({ engine, guards }: RouteDeps) {
  const router = createRouter();
  return router.openapi(documentedRoute(router, eventsRoute(guards)), async (c) => {
    const { after, limit } = c.req.valid('query');
    const page = await engine.readEvents({ after: after === undefined ? 0 : Number(after), ...(limit === undefined ? {} : { limit: Number(limit) }) });
    return c.json({ events: page.events.map(merchantEventJson), next_after: page.next }, 200);
  });
}

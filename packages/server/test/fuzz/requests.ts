import fc from 'fast-check';
import { FIXTURE, tokenOf } from './fixture.js';
import { contentType, hostileHeaderValue, hostileKey, hostilePathParam, hostileString, rawJson, rawLeaf, rawNumber, rawString, unstorableText } from './hostile-values.js';

/** The endpoints the fuzz aims at; `route` names the operation in /openapi.json. */
export type Endpoint =
  | 'product'
  | 'hold'
  | 'order'
  | 'webhook'
  | 'admin-create'
  | 'admin-restock'
  | 'admin-update'
  | 'ops'
  | 'elsewhere'
  // Hold lifecycle.
  | 'hold-release'
  | 'hold-extend'
  | 'hold-read'
  | 'order-read';

export const OPERATIONS: Partial<Record<Endpoint, [path: string, method: 'get' | 'post' | 'patch']>> = {
  product: ['/api/products/{id}', 'get'],
  hold: ['/api/holds', 'post'],
  order: ['/api/orders', 'post'],
  webhook: ['/api/payments/webhook', 'post'],
  'admin-create': ['/api/admin/products', 'post'],
  'admin-restock': ['/api/admin/products/{id}/restock', 'post'],
  'admin-update': ['/api/admin/products/{id}', 'patch'],
  // Hold lifecycle.
  'hold-release': ['/api/holds/{id}/release', 'post'],
  'hold-extend': ['/api/holds/{id}/extend', 'post'],
  'hold-read': ['/api/holds/{id}', 'get'],
  'order-read': ['/api/orders/{id}', 'get'],
};

/** How a webhook is signed, when the app has a secret. */
export type Signing = 'valid' | 'none' | 'wrong-secret' | 'stale' | 'future';

export interface RequestPlan {
  endpoint: Endpoint;
  method: string;
  path: string;
  contentType: string | undefined;
  headers: Record<string, string>;
  /** Text, raw bytes (invalid UTF-8 included), or no body. */
  body: string | Uint8Array | undefined;
  signing: Signing;
  /** From a small pool, so deliveries repeat. */
  webhookId: string;
}

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const digits = (values: readonly number[]) => pick(values.map(String));

/** A field value: usually plausible, sometimes hostile, sometimes missing (undefined). */
function field(valid: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 2, arbitrary: rawLeaf },
    { weight: 1, arbitrary: rawJson },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A JSON object as text from its fields, plus junk keys and duplicates of real ones. */
function objectBody(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const names = Object.keys(fields);
  return fc
    .tuple(
      fc.tuple(...names.map((name) => field(fields[name]!))),
      fc.oneof({ weight: 8, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(hostileKey, rawJson), { minLength: 1, maxLength: 2 }) }),
      fc.oneof({ weight: 8, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(pick(names), rawLeaf), { minLength: 1, maxLength: 2 }) }),
      fc.boolean(),
    )
    .map(([values, extras, duplicates, shuffled]) => {
      const entries: [string, string][] = names.flatMap((name, i) => (values[i] === undefined ? [] : [[name, values[i]!] as [string, string]]));
      const all = [...entries, ...extras, ...duplicates];
      if (shuffled) all.reverse();
      return `{${all.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;
    });
}

/** What can happen to a body on its way: nothing, usually; or truncation, padding past 16 KiB, junk. */
function mangled(body: fc.Arbitrary<string>): fc.Arbitrary<string | Uint8Array | undefined> {
  return fc.oneof(
    { weight: 24, arbitrary: body },
    { weight: 2, arbitrary: fc.tuple(body, fc.nat()).map(([text, n]) => text.slice(0, n % Math.max(1, text.length))) },
    { weight: 1, arbitrary: fc.tuple(body, fc.integer({ min: 16 * 1024, max: 40 * 1024 })).map(([text, n]) => `${text.slice(0, -1)},"pad":"${'x'.repeat(n)}"}`) },
    { weight: 1, arbitrary: fc.integer({ min: 16 * 1024 + 1, max: 24 * 1024 }).map((n) => `[${'1,'.repeat(n / 2)}1]`) },
    { weight: 2, arbitrary: rawJson },
    { weight: 1, arbitrary: body.map((text) => `[${text}]`) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', '\n', '{', '}', '{}', '[]', 'null', '"x"', '{"a":1}{"b":2}', '\ufeff{}', 'a=1&b=2', '<xml/>') },
    { weight: 1, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

const holdIdValue = digits(FIXTURE.holdIds);
/** A text field's value: unstorable text often enough that every text field meets it in every run. */
const unstorable = unstorableText.map((text) => JSON.stringify(text));

const tokenValue = fc.oneof(
  pick(FIXTURE.holdIds).map((id) => JSON.stringify(tokenOf(id))),
  pick(FIXTURE.holdIds).map((id) => JSON.stringify(`${tokenOf(id)}\u0000`)),
  unstorable,
  fc.stringMatching(/^[0-9a-f]{64}$/).map((t) => JSON.stringify(t)),
  rawString,
);
/** Mostly a hold id with its own token, so orders do get created. */
const orderBody = fc.oneof(
  pick(FIXTURE.holdIds).map((id) => `{"hold_id":${id},"token":${JSON.stringify(tokenOf(id))}}`),
  objectBody({ hold_id: holdIdValue, token: tokenValue }),
);

// Drops: a buyer id, a sale instant, a per-buyer limit (the fixture's clock is 2026-01-01).
const buyerValue = fc.oneof(pick(['"ann"', '"bob"', '"Zoë 🎟️"']), pick(['""', '"tab\\there"', '"\\u0085"', JSON.stringify('x'.repeat(129))]), unstorable, rawString);
const instantValue = fc.oneof(
  { weight: 4, arbitrary: pick(['"2020-01-01T00:00:00Z"', '"2030-01-01T09:00:00Z"', '"2025-06-01T12:00:00+02:00"', 'null']) },
  { weight: 1, arbitrary: pick(['"2030-02-30T00:00:00Z"', '"1969-12-31T23:59:59Z"', '"2030-01-01"', '"tomorrow"', '0']) },
  { weight: 1, arbitrary: rawString },
);
const limitValue = fc.oneof(digits([1, 2, 0, 1_000_000_001]), fc.constant('null'), rawNumber);
const dropFields = { sale_starts_at: instantValue, sale_ends_at: instantValue, max_per_buyer: limitValue };

const productFields = {
  name: fc.oneof(pick(['"Shoe"', '" padded "']), rawString, unstorable),
  price: fc.oneof(pick(['"9.99"', '"0"', '"1"', '"0.1"', '"9999999.99"', '"10000000.00"']), rawString),
};

const holdFields = {
  product_id: digits(FIXTURE.productIds),
  qty: fc.oneof({ weight: 6, arbitrary: digits([1, 2, 3]) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 1_000_000 }).map(String) }, { weight: 1, arbitrary: rawNumber }),
};

const bodies: Record<'hold' | 'order' | 'webhook' | 'admin-create' | 'admin-restock' | 'admin-update', fc.Arbitrary<string>> = {
  hold: fc.oneof(objectBody(holdFields), objectBody({ ...holdFields, buyer_id: buyerValue })),
  order: orderBody,
  webhook: objectBody({
    order_id: digits(FIXTURE.orderIds),
    status: pick(['"success"', '"failed"']),
    txn_id: fc.oneof(pick(['"TXN-1"', '"TXN-2"', 'null']), rawString, unstorable),
  }),
  'admin-create': fc.oneof(
    objectBody({ ...productFields, stock: fc.oneof(digits([0, 1, 5, 1_000_000_000, 1_000_000_001]), rawNumber) }),
    objectBody({ ...productFields, stock: digits([0, 5]), ...dropFields }),
  ),
  'admin-restock': objectBody({ qty: fc.oneof(digits([1, 5, 1_000_000_000]), rawNumber) }),
  'admin-update': fc.oneof(objectBody(dropFields), objectBody({ ...productFields, max_per_buyer: limitValue }), objectBody({ sale_ends_at: instantValue })),
};

const idParam = fc.oneof({ weight: 2, arbitrary: digits(FIXTURE.productIds) }, { weight: 3, arbitrary: hostilePathParam });
const idempotencyHeader = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: pick(['key-1', 'key-2', 'key-3', 'key-4']) },
  { weight: 2, arbitrary: hostileHeaderValue },
);
const junkQuery = fc.oneof({ weight: 5, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pick(['?', '?x=%', '?id=1&id=2', '?__proto__[x]=1', `?q=${'z'.repeat(3000)}`]) });

interface Target {
  endpoint: Endpoint;
  method: string;
  path: fc.Arbitrary<string>;
  body?: fc.Arbitrary<string>;
  headers?: fc.Arbitrary<Record<string, string>>;
  /** Path, body and headers drawn together (a hold id with its own token), instead of the three above. */
  joint?: fc.Arbitrary<{ path: string; body?: string; headers?: Record<string, string> }>;
}

// Hold lifecycle: mostly a hold (or an order) with its hold's own token, so releases, extensions
// and reads do succeed; otherwise any id with any token, or no token.
const ownToken = pick(FIXTURE.holdIds).map((id) => ({ id: String(id), token: tokenOf(id) }));
const orderWithOwnToken = pick(FIXTURE.orderIds).map((id) => ({ id: String(id), token: tokenOf(FIXTURE.orderHolds[id] ?? 9999) }));
const anyId = fc.oneof({ weight: 2, arbitrary: holdIdValue }, { weight: 3, arbitrary: hostilePathParam });
const headerToken = fc.oneof(
  { weight: 3, arbitrary: pick(FIXTURE.holdIds).map(tokenOf) },
  { weight: 2, arbitrary: hostileHeaderValue },
  { weight: 1, arbitrary: fc.constant(undefined) },
);
const tokenHeader = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { 'hold-token': token });
const holdWrite = (action: 'release' | 'extend') =>
  fc.oneof(
    { weight: 3, arbitrary: ownToken.map(({ id, token }) => ({ path: `/api/holds/${id}/${action}`, body: `{"token":${JSON.stringify(token)}}` })) },
    { weight: 2, arbitrary: fc.tuple(anyId, objectBody({ token: tokenValue })).map(([id, body]) => ({ path: `/api/holds/${id}/${action}`, body })) },
  );
const read = (resource: 'holds' | 'orders', own: typeof ownToken) =>
  fc.oneof(
    { weight: 3, arbitrary: own.map(({ id, token }) => ({ path: `/api/${resource}/${id}`, headers: tokenHeader(token) })) },
    { weight: 2, arbitrary: fc.tuple(anyId, headerToken).map(([id, token]) => ({ path: `/api/${resource}/${id}`, headers: tokenHeader(token) })) },
  );

const admin = fc.constant({ authorization: 'Bearer fuzz-admin-token' });
const targets: Target[] = [
  { endpoint: 'product', method: 'GET', path: idParam.map((id) => `/api/products/${id}`) },
  { endpoint: 'hold', method: 'POST', path: fc.constant('/api/holds'), body: bodies.hold },
  { endpoint: 'order', method: 'POST', path: fc.constant('/api/orders'), body: bodies.order },
  { endpoint: 'webhook', method: 'POST', path: fc.constant('/api/payments/webhook'), body: bodies.webhook },
  { endpoint: 'admin-create', method: 'POST', path: fc.constant('/api/admin/products'), body: bodies['admin-create'], headers: admin },
  { endpoint: 'admin-restock', method: 'POST', path: idParam.map((id) => `/api/admin/products/${id}/restock`), body: bodies['admin-restock'], headers: admin },
  { endpoint: 'admin-update', method: 'PATCH', path: idParam.map((id) => `/api/admin/products/${id}`), body: bodies['admin-update'], headers: admin },
  // Hold lifecycle.
  { endpoint: 'hold-release', method: 'POST', path: fc.constant(''), joint: holdWrite('release') },
  { endpoint: 'hold-extend', method: 'POST', path: fc.constant(''), joint: holdWrite('extend') },
  { endpoint: 'hold-read', method: 'GET', path: fc.constant(''), joint: read('holds', ownToken) },
  { endpoint: 'order-read', method: 'GET', path: fc.constant(''), joint: read('orders', orderWithOwnToken) },
  {
    endpoint: 'ops',
    method: 'GET',
    path: fc.oneof(
      pick(['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/problems/insufficient_stock', '/problems/request_timeout']),
      hostilePathParam.map((code) => `/problems/${code}`),
    ),
  },
];

/** Any method on any path, for the router's own refusals. */
const elsewhere: fc.Arbitrary<Pick<Target, 'endpoint' | 'method'> & { path: string }> = fc.record({
  endpoint: fc.constant('elsewhere' as const),
  method: pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD']),
  path: fc.oneof(
    pick(['/', '/api', '/api/holds', '/api/orders/1', '/api/products', '/api/admin', '/problems', '//api/holds', '/api/holds/', '/API/HOLDS', '/.env', '/%2e%2e/']),
    hostilePathParam.map((p) => `/api/${p}`),
  ),
});

export const requestPlan: fc.Arbitrary<RequestPlan> = fc
  .oneof(
    {
      weight: 9,
      arbitrary: fc.oneof(
        ...targets.map((t) =>
          t.joint
            ? t.joint.chain(({ path, body, headers }) =>
                fc.record({
                  endpoint: fc.constant(t.endpoint),
                  method: fc.constant(t.method),
                  path: fc.constant(path),
                  body: body === undefined ? fc.constant(undefined) : mangled(fc.constant(body)),
                  headers: fc.constant(headers ?? {}),
                }),
              )
            : fc.record({
                endpoint: fc.constant(t.endpoint),
                method: fc.constant(t.method),
                path: t.path,
                body: t.body ? mangled(t.body) : fc.constant(undefined),
                headers: t.headers ?? fc.constant({}),
              }),
        ),
      ),
    },
    { weight: 1, arbitrary: fc.tuple(elsewhere, mangled(rawJson)).map(([target, body]) => ({ ...target, body, headers: {} })) },
  )
  .chain((base) =>
    fc.record({
      query: junkQuery,
      contentType: base.body === undefined ? fc.constantFrom(undefined, 'application/json') : contentType,
      idempotencyKey: idempotencyHeader,
      signing: fc.oneof({ weight: 6, arbitrary: fc.constant<Signing>('valid') }, { weight: 1, arbitrary: pick<Signing>(['none', 'wrong-secret', 'stale', 'future']) }),
      webhookId: pick(['msg_1', 'msg_2', 'msg_3', 'msg_4', 'msg_5', 'msg_6']),
    }).map(({ query, contentType, idempotencyKey, signing, webhookId }) => ({
      endpoint: base.endpoint,
      method: base.method,
      path: base.path + query,
      contentType,
      headers: { ...base.headers, ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }) },
      body: base.method === 'GET' || base.method === 'HEAD' ? undefined : base.body,
      signing,
      webhookId,
    })),
  );

import autocannon from 'autocannon';
import { Timeline } from './timeline.js';

/**
 * One burst of POSTs fired by autocannon, the load generator of every measured phase (holds and
 * the `--baseline`), so both figures come from the same client code.
 *
 * Why autocannon and not an undici Pool loop: on this 2-core machine the load generator shares the
 * CPU with the server it measures, so the cheaper client wins. Firing 40,000 small JSON POSTs at 64
 * connections against the bare-Hono baseline, autocannon spent about 32 µs of CPU per request and
 * an undici Pool loop about 46 µs (process.cpuUsage; see README "Why autocannon"). autocannon also
 * prebuilds the request bytes when the body is fixed, and rebuilds them only when `makeBody` varies it.
 */
interface FireOptions {
  /** The full URL to POST to. */
  url: string;
  requests: number;
  concurrency: number;
  timeoutMs: number;
  /** The body of every request, when it never changes. */
  body?: string;
  /** Makes each request's body, with a tag (e.g. its qty) handed back with its response. */
  makeBody?: () => { body: string; tag: number };
  /** Told of each response whose status `wantBody` accepts, with its body and tag. */
  onBody?: (status: number, body: string, tag: number) => void;
  wantBody?: (status: number) => boolean;
  /** Told every so often how many responses have come back. */
  onProgress?: (done: number) => void;
}

export interface LoadResult {
  requests: number;
  /** Responses received (every status). */
  responses: number;
  durationMs: number;
  /** Responses per second over the whole burst. */
  rps: number;
  /** Per-response latency in ms, in arrival order. */
  latenciesMs: number[];
  /**
   * The same without the first answer of each connection. Those include the connection's set-up:
   * with every connection opening at once on a saturated machine, the first requests of a few
   * hundred connections can wait far longer than any later one, for a bare-Hono server too.
   */
  establishedLatenciesMs: number[];
  statusCounts: Record<string, number>;
  /** Connection errors and timeouts: requests that never got a response. */
  errors: number;
  timeline: Timeline;
  startedAt: number;
}

/**
 * Fires `requests` POSTs with `concurrency` connections, one request in flight per connection.
 *
 * @example const result = await fire({ url: 'http://127.0.0.1:8000/api/holds', requests: 1000, concurrency: 64, timeoutMs: 10000, body: '{"product_id":1,"qty":1}' });
 */
export async function fire(options: FireOptions): Promise<LoadResult> {
  const connections = Math.min(options.concurrency, options.requests);
  const latenciesMs: number[] = [];
  const establishedLatenciesMs: number[] = [];
  const answered = new WeakSet<object>();
  const statusCounts: Record<string, number> = {};
  let responses = 0;
  let errors = 0;
  const timeline = new Timeline();
  const { makeBody, onBody, wantBody } = options;

  type Context = { tag?: number };
  const request: autocannon.Request = {
    method: 'POST',
    path: new URL(options.url).pathname,
    headers: { 'content-type': 'application/json' },
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(makeBody
      ? {
          setupRequest: (req: autocannon.Request, context: object) => {
            const made = makeBody();
            (context as Context).tag = made.tag;
            return { ...req, body: made.body };
          },
        }
      : {}),
    ...(onBody
      ? {
          onResponse: (status: number, body: string, context: object) => {
            if (!wantBody || wantBody(status)) onBody(status, body, (context as Context).tag ?? 0);
          },
        }
      : {}),
  };

  let lastResponseAt = 0;
  const startedAt = Date.now();
  const started = performance.now();
  timeline.start(started);
  let finish: (error: Error | null) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error ? reject(error) : resolve());
  });
  const instance = autocannon({
    url: new URL(options.url).origin,
    connections,
    pipelining: 1,
    amount: options.requests,
    timeout: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
    requests: [request],
    excludeErrorStats: false,
    skipAggregateResult: true,
    // autocannon notices the end only on its sampling tick (1 s by default); the duration below
    // is measured to the last response instead, and a short tick keeps the wait small.
    sampleInt: 50,
  } as autocannon.Options, (error) => finish(error));
  instance.on('response', (client: object, statusCode: number, _bytes: number, responseTime: number) => {
    responses += 1;
    lastResponseAt = performance.now();
    latenciesMs.push(responseTime);
    if (answered.has(client)) establishedLatenciesMs.push(responseTime);
    else answered.add(client);
    statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    timeline.record(performance.now());
    if (options.onProgress && responses % 200 === 0) options.onProgress(responses);
  });
  instance.on('reqError', () => {
    errors += 1;
  });
  // A server that stops answering must not hang the run: stop after every request could have timed out twice.
  const guard = setTimeout(() => instance.stop(), options.timeoutMs * 2 + options.requests * 5);
  try {
    await finished;
  } finally {
    clearTimeout(guard);
  }
  const durationMs = (lastResponseAt || performance.now()) - started;
  options.onProgress?.(responses);
  return {
    requests: options.requests,
    responses,
    durationMs,
    rps: durationMs > 0 ? (responses / durationMs) * 1000 : 0,
    latenciesMs,
    establishedLatenciesMs,
    statusCounts,
    errors,
    timeline,
    startedAt,
  };
}

import { Pool } from 'undici';

/** One answered call of the flow phase. */
export interface ApiResponse {
  status: number;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json: Record<string, unknown> | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** Latencies and statuses of one endpoint. */
interface EndpointLog {
  latenciesMs: number[];
  statusCounts: Record<string, number>;
  /** performance.now() of the last answer. */
  lastAt: number;
}

/**
 * The flow-phase client: an undici Pool (keep-alive, `concurrency` connections) that records the
 * latency and status of every call per endpoint label. The flow phase sends far fewer requests
 * than the hold stampede and needs per-request headers and bodies, so a plain client fits better
 * than autocannon here.
 */
export class ApiClient {
  readonly #pool: Pool;
  readonly #timeoutMs: number;
  readonly #connections: number;
  readonly endpoints = new Map<string, EndpointLog>();
  /** Requests that got no HTTP answer at all (refused connection, timeout). */
  transportErrors = 0;

  constructor(baseUrl: string, options: { connections: number; timeoutMs: number }) {
    this.#pool = new Pool(baseUrl, { connections: options.connections, pipelining: 1 });
    this.#connections = options.connections;
    this.#timeoutMs = options.timeoutMs;
  }

  post(label: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.#send(label, 'POST', path, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  /** POSTs an exact JSON text (a signature covers the bytes, not the value). */
  postRaw(label: string, path: string, body: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.#send(label, 'POST', path, body, { 'content-type': 'application/json', ...headers });
  }

  get(label: string, path: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.#send(label, 'GET', path, undefined, headers);
  }

  /**
   * Opens the pool's connections now, while the server is idle, with one unrecorded GET each.
   * Node accepts one new connection per turn of its event loop (libuv 1.45+), so connections
   * opened once the flow keeps the server busy waited seconds to be accepted, and their first
   * requests were counted as slow answers of the API (docs/benchmarks.md).
   */
  async connect(path: string): Promise<void> {
    await Promise.all(Array.from({ length: this.#connections }, () => this.text(path)));
  }

  /** The raw text of a GET, unrecorded (for /metrics). */
  async text(path: string): Promise<{ status: number; text: string }> {
    const res = await this.#pool.request({ method: 'GET', path, headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs });
    return { status: res.statusCode, text: await res.body.text() };
  }

  async #send(label: string, method: 'GET' | 'POST', path: string, body: string | undefined, headers: Record<string, string>): Promise<ApiResponse> {
    const started = performance.now();
    try {
      const res = await this.#pool.request({ method, path, body, headers, headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs });
      const text = await res.body.text();
      this.#record(label, res.statusCode, performance.now() - started);
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, json, headers: res.headers };
    } catch (error) {
      this.transportErrors += 1;
      this.#record(label, 0, performance.now() - started);
      throw error;
    }
  }

  /** The latencies of `label`'s answers so far, in arrival order (the live list: read, never change it). */
  latencies(label: string): readonly number[] {
    return this.endpoints.get(label)?.latenciesMs ?? [];
  }

  /** performance.now() of `label`'s last answer; 0 before the first. */
  lastAnswerAt(label: string): number {
    return this.endpoints.get(label)?.lastAt ?? 0;
  }

  #record(label: string, status: number, ms: number): void {
    let log = this.endpoints.get(label);
    if (!log) {
      log = { latenciesMs: [], statusCounts: {}, lastAt: 0 };
      this.endpoints.set(label, log);
    }
    log.latenciesMs.push(ms);
    log.lastAt = performance.now();
    log.statusCounts[status] = (log.statusCounts[status] ?? 0) + 1;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/**
 * Runs `tasks` with at most `limit` in flight, in the given order.
 *
 * @example await runLimited(jobs, 64)
 */
export async function runLimited(tasks: readonly (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++]!;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

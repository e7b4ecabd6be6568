/** What came back from one HTTP call: an answer, the connection cut, or nothing within the wait. */
export type Reply =
  | { kind: 'answer'; status: number; body: Record<string, unknown>; headers: Headers; contentType: string; ms: number }
  | { kind: 'cut'; error: string; ms: number }
  | { kind: 'no answer'; ms: number };

/**
 * One JSON request that never throws: a killed server is `cut`, a request still unanswered after
 * `waitMs` is `no answer` (so a hung server fails an assertion instead of the test's timeout).
 *
 * @example const reply = await call(base, 'POST', '/api/holds', { product_id: 1, qty: 1 }, { 'Idempotency-Key': 'k1' });
 */
export async function call(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  waitMs = 20_000,
): Promise<Reply> {
  const started = performance.now();
  const signal = AbortSignal.timeout(waitMs);
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'Content-Type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
    });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = { unparsed: text.slice(0, 200) };
    }
    return { kind: 'answer', status: res.status, body: parsed, headers: res.headers, contentType: res.headers.get('content-type') ?? '', ms: performance.now() - started };
  } catch (error) {
    const ms = performance.now() - started;
    if (signal.aborted) return { kind: 'no answer', ms };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'cut', error: cause?.code ?? cause?.message ?? String(error), ms };
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

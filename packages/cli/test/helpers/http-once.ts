import { request } from 'node:http';

export interface OnceResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/**
 * One HTTP request on a connection of its own (no keep-alive agent), so with `--workers N` each
 * request is a new connection the cluster primary hands to the next worker in turn.
 */
export function requestOnce(url: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<OnceResponse> {
  const payload = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: init.method ?? (payload === undefined ? 'GET' : 'POST'),
        agent: false,
        headers: { ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }), ...init.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON: keep the text.
          }
          resolve({ status: res.statusCode!, headers: res.headers, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls `read()` until `pattern` matches it, or fails after `timeoutMs` showing what was read. */
export async function waitForMatch(read: () => string, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms in:\n${read()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import { runLimited, type ApiClient } from './api-client.js';

/** One endpoint's answers during one step of the checkout wave. */
export interface WaveMeasure {
  requests: number;
  durationMs: number;
  /** Answers per second over the step, from its first request to its last answer. */
  rps: number;
  latenciesMs: number[];
}

/**
 * Starts measuring `label`'s answers on `client` now; `end()` gives those that came since, over
 * the time to the last of them. The
 * flow's pool opened its connections before the wave (`ApiClient.connect`), so every one of them
 * was on an established connection.
 */
export function waveSince(client: ApiClient, label: string): { end(): WaveMeasure } {
  const from = client.latencies(label).length;
  const started = performance.now();
  return {
    end() {
      const latenciesMs = client.latencies(label).slice(from);
      // To the step's last answer of this endpoint: the pages' last reads after it are not its time.
      const durationMs = latenciesMs.length > 0 ? client.lastAnswerAt(label) - started : 0;
      return { requests: latenciesMs.length, durationMs, rps: durationMs > 0 ? (latenciesMs.length / durationMs) * 1000 : 0, latenciesMs };
    },
  };
}

/**
 * The bare-Hono side of a checkout step: `requests` POSTs of `body` to `path`, `concurrency` at
 * once, through `client` (the same undici pool the flow uses, its connections opened first), so
 * the ratio compares the same client and the same concurrency.
 */
export async function fireWave(client: ApiClient, label: string, path: string, body: string, requests: number, concurrency: number, headers: Record<string, string> = {}): Promise<WaveMeasure> {
  const measure = waveSince(client, label);
  const tasks = Array.from({ length: requests }, () => () => client.postRaw(label, path, body, headers));
  await runLimited(tasks, concurrency);
  return measure.end();
}

/** Several measures of one step as one: their answers together, over their durations together. */
export function combineWaves(runs: readonly WaveMeasure[]): WaveMeasure & { runsRps: number[] } {
  const requests = runs.reduce((sum, r) => sum + r.requests, 0);
  const durationMs = runs.reduce((sum, r) => sum + r.durationMs, 0);
  return {
    requests,
    durationMs,
    rps: durationMs > 0 ? (requests / durationMs) * 1000 : 0,
    latenciesMs: runs.flatMap((r) => r.latenciesMs),
    runsRps: runs.map((r) => Math.round(r.rps)),
  };
}

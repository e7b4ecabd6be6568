/**
 * The messages the `serve --workers` primary and its workers exchange over the cluster's IPC
 * channel. Tagged, so they never mix with rate-limiter-flexible's own messages on that channel.
 */
export type PrimaryToWorker = { flashsale: 'shutdown' };
export type WorkerToPrimary = { flashsale: 'ready'; port: number };

/** Set by the primary on the workers it forks: the same command line then runs as a worker. */
export const WORKER_ENV = 'FLASHSALE_SERVE_WORKER';

export function isMessage<T extends { flashsale: string }>(value: unknown, kind: T['flashsale']): value is T {
  return typeof value === 'object' && value !== null && (value as { flashsale?: unknown }).flashsale === kind;
}

import cluster, { type Worker } from 'node:cluster';
import type { ServerLog } from '@flashsale/server';
import { CliError } from '../cli-error.js';
import type { ServeFlags } from '../serve-flags.js';
import type { CliContext } from '../context.js';
import type { DbTarget } from '../open-store.js';
import { warn } from '../output.js';
import { isMessage, WORKER_ENV, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';

/** A worker that lived less than this before dying counts towards the restart back-off. */
const SHORT_LIFE_MS = 10_000;
/** The longest wait before restarting a worker that keeps dying young. */
const MAX_RESTART_DELAY_MS = 10_000;
/** How long, beyond --shutdown-timeout, workers get to close their stores and exit. */
const EXIT_GRACE_MS = 5_000;

interface Tracked {
  worker: Worker;
  startedAt: number;
  ready: boolean;
}

interface Supervised {
  /** The URL every worker listens on. */
  url: string;
  /** Resolves with the exit status once every worker has stopped (after SIGTERM or SIGINT). */
  stopped: Promise<number>;
}

/**
 * Forks `flags.workers` copies of this same command line as node:cluster workers, waits until
 * every one is listening, and from then on restarts any that dies (saying so on stderr, with a
 * back-off for workers that keep dying young). SIGTERM or SIGINT stops them all gracefully; a
 * second signal kills them. Start-up fails (and stops the others) if a worker exits before it is
 * ready: its own error line says why. "worker N ready" and the stop line go to `logger`.
 */
export function superviseWorkers(flags: ServeFlags, ctx: CliContext, logger: ServerLog['logger']): Promise<Supervised> {
  const { io } = ctx;
  const tracked = new Map<number, Tracked>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let port: number | undefined;
  let shortLived = 0;
  let failed = false;

  cluster.setupPrimary({ exec: process.argv[1]!, args: [...(ctx.argv ?? process.argv.slice(2))], execArgv: process.execArgv });

  const fork = (): void => {
    const worker = cluster.fork({ [WORKER_ENV]: '1' });
    // A message to a worker that is already exiting fails with an 'error' event; its 'exit' follows.
    worker.on('error', () => {});
    tracked.set(worker.id, { worker, startedAt: Date.now(), ready: false });
  };

  let onStarted: (url: string) => void = () => {};
  let onStartFailed: (error: Error) => void;
  let onAllExited: () => void = () => {};

  const onMessage = (worker: Worker, message: unknown) => {
    if (!isMessage<WorkerToPrimary>(message, 'ready')) return;
    const entry = tracked.get(worker.id);
    if (!entry) return;
    entry.ready = true;
    logger.info(`worker ${worker.id} ready (pid ${worker.process.pid})`);
    if (port !== undefined && message.port !== port) {
      // Only with --port 0 after every worker died at once: the shared socket was closed with them.
      warn(io, `WARNING: the workers now listen on port ${message.port}, not ${port}: every worker had stopped, and --port 0 picked a new port`);
    }
    port = message.port;
    if (phase === 'starting' && [...tracked.values()].every((t) => t.ready)) {
      phase = 'running';
      const host = flags.host;
      onStarted(`http://${host.includes(':') ? `[${host}]` : host}:${port}`);
    }
  };

  const onExit = (worker: Worker, code: number | null, signal: string | null) => {
    const entry = tracked.get(worker.id);
    tracked.delete(worker.id);
    if (!entry) return;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (phase === 'stopping') {
      if (code !== 0) failed = true;
      if (tracked.size === 0) onAllExited();
      return;
    }
    if (phase === 'starting') {
      failed = true;
      stopAll();
      onStartFailed(new CliError(`worker ${worker.id} (pid ${worker.process.pid}) ${how} before it was ready; its error is above`));
      return;
    }
    const lived = Date.now() - entry.startedAt;
    shortLived = lived < SHORT_LIFE_MS ? shortLived + 1 : 0;
    const delay = shortLived === 0 ? 0 : Math.min(250 * 2 ** (shortLived - 1), MAX_RESTART_DELAY_MS);
    warn(io, `worker ${worker.id} (pid ${worker.process.pid}) ${how}; starting a new one${delay ? ` in ${delay} ms` : ''}`);
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (phase === 'running') fork();
    }, delay);
    restartTimers.add(timer);
  };

  /** Asks every worker to stop; kills whatever is left after the shutdown timeout and a grace period. */
  const stopAll = () => {
    phase = 'stopping';
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    for (const { worker } of tracked.values()) {
      if (worker.isConnected()) worker.send({ flashsale: 'shutdown' } satisfies PrimaryToWorker);
      else worker.process.kill('SIGTERM');
    }
    const deadline = setTimeout(() => {
      for (const { worker } of tracked.values()) {
        warn(io, `worker ${worker.id} (pid ${worker.process.pid}) did not stop in time; killing it`);
        failed = true;
        worker.process.kill('SIGKILL');
      }
    }, flags.shutdownTimeout + EXIT_GRACE_MS);
    deadline.unref();
    if (tracked.size === 0) onAllExited();
  };

  const allExited = new Promise<void>((resolve) => (onAllExited = resolve));
  const stopped = allExited.then(() => {
    cluster.off('message', onMessage);
    cluster.off('exit', onExit);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    return failed ? 1 : 0;
  });

  const onSignal = (signal: NodeJS.Signals) => {
    if (phase === 'stopping') {
      warn(io, `${signal} again: killing the workers now, without waiting for requests in flight`);
      for (const { worker } of tracked.values()) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    logger.info({ signal }, `${signal}: stopping ${tracked.size} workers (finishing requests in flight)`);
    stopAll();
  };

  cluster.on('message', onMessage);
  cluster.on('exit', onExit);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  for (let i = 0; i < flags.workers; i++) fork();

  let startError: Error | undefined;
  onStartFailed = (error) => (startError ??= error);
  return new Promise<Supervised>((resolve, reject) => {
    onStarted = (url) => resolve({ url, stopped });
    // Rejects once every worker is gone, so no process outlives a failed start (after a signal
    // during start-up, too). Ignored when start-up succeeded.
    void stopped.then(() => reject(startError ?? new CliError('stopped before every worker was ready')));
  });
}

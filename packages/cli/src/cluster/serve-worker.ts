import cluster from 'node:cluster';
import { createServerLog, type RunningServer } from '@flashsale/server';
import type { ServeFlags } from '../serve-flags.js';
import type { CliContext } from '../context.js';
import type { DbTarget } from '../open-store.js';
import { limiterStoreFor } from '../limiter-store.js';
import { startServer } from '../start-server.js';
import { isMessage, type PrimaryToWorker, type WorkerToPrimary } from './messages.js';

/** The response header naming the worker that answered (only with `--workers` > 1). */
export const WORKER_HEADER = 'Flashsale-Worker';

/**
 * One worker of `flashsale serve --workers N`: the same server as a single process, minus what
 * the primary already did (migrating, seeding) and minus the summary line (the primary logs it
 * once). It stops gracefully when the primary asks, or on SIGTERM/SIGINT (Ctrl-C reaches
 * every process of the group); forcing is the primary's decision, so a second signal changes nothing.
 */
export async function runWorker(flags: ServeFlags, target: DbTarget, ctx: CliContext): Promise<void> {
  const worker = cluster.worker!;
  // Its lines say which worker wrote them; they share the primary's stdout.
  const log = createServerLog({ level: flags.logLevel, output: ctx.io.stdout, bindings: { worker: worker.id } });
  try {
    // Every worker, restarted ones too, asks for the same port as given (even 0): the primary
    // shares one listening socket per address and port asked for, so they all get the same one.
    const { running } = await startServer(flags, target, { seed: false, limiterStore: limiterStoreFor(target, flags.workers), log });
    // Added in the same turn of the event loop as listen() completed, so before the primary can
    // hand this worker a connection.
    running.server.prependListener('request', (_req, res) => res.setHeader(WORKER_HEADER, String(worker.id)));
    process.send?.({ flashsale: 'ready', port: running.port } satisfies WorkerToPrimary);
    ctx.exitCode = await untilShutdown(running);
  } finally {
    log.close();
    // Closes the IPC channel so the process can end by itself once its output is flushed.
    if (process.connected) worker.disconnect();
  }
}

function untilShutdown(running: RunningServer): Promise<number> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('message', onMessage);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      // Later signals are ignored rather than fatal: the primary forces, if it must, with SIGKILL.
      process.on('SIGTERM', () => {});
      process.on('SIGINT', () => {});
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    const onMessage = (message: unknown) => {
      if (isMessage<PrimaryToWorker>(message, 'shutdown')) stop();
    };
    process.on('message', onMessage);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

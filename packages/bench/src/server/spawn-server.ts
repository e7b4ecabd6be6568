import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serveArgs, type LaunchedServer, type ServerLauncher } from './launcher.js';

/**
 * Where a server listens: the first loopback URL it prints after the word "listening" ("flashsale
 * listening on http://…", plain or inside a JSON log line). Other URLs come before it: the
 * receivers `serve --events-url` delivers to.
 */
const LISTENING = /listening(?: on)? (https?:\/\/(?:127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+)/;

export interface SpawnServerOptions {
  /** Give up when no URL was printed within this long. Default 30 s. */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `command args…` and resolves once it prints the loopback URL it listens on (`listening on
 * http://127.0.0.1:<port>`, or `listening http://…`). Its output is
 * read to the end (a server that logs must never block on a full pipe) and kept, the last lines
 * only, for the error message if it dies.
 *
 * @example const server = await spawnServerProcess(process.execPath, ['server.js']);
 */
export function spawnServerProcess(command: string, args: string[], options: SpawnServerOptions = {}): Promise<LaunchedServer> {
  // stdin stays open and unused: it closes when this process dies, which our scripts take as "stop".
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
  // The last few KiB of output, split into lines only for an error message: a server that logs a
  // line per request writes megabytes during a stampede, read by this process, the load generator.
  let recent = '';
  const remember = (chunk: Buffer) => {
    recent = (recent + String(chunk)).slice(-4096);
  };
  const lastLines = () => recent.split('\n').filter(Boolean).slice(-20).join('\n');
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopping: Promise<void> | undefined;
  const died = () =>
    stopping === undefined && (child.exitCode !== null || child.signalCode !== null)
      ? `the server process ended during the run (${child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`}); its last output:\n${lastLines()}`
      : undefined;
  const close = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };
  return new Promise<LaunchedServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`the server printed no URL within ${options.startTimeoutMs ?? 30_000} ms:\n${lastLines()}`));
    }, options.startTimeoutMs ?? 30_000);
    let seen = '';
    let listening = false;
    child.stdout.on('data', (chunk: Buffer) => {
      remember(chunk);
      if (listening) return;
      // Keep a little of the previous chunk: a URL may be split across two reads.
      seen = seen.slice(-256) + String(chunk);
      const match = LISTENING.exec(seen);
      if (match) {
        listening = true;
        clearTimeout(timer);
        resolve({ url: match[1]!, close, died });
      }
    });
    child.stderr.on('data', remember);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (code ${code}) before listening:\n${lastLines()}`));
    });
  });
}

/**
 * A {@link ServerLauncher} that runs `command ...prefix serve --db … --port 0 …` (see
 * {@link serveArgs}). This is how the CLI hands its own `flashsale serve` to the bench.
 *
 * @example
 * runBench({ launchServer: commandLauncher(process.execPath, [...process.execArgv, binPath]) })
 */
export function commandLauncher(command: string, prefix: string[] = []): ServerLauncher {
  return (options) => spawnServerProcess(command, [...prefix, ...serveArgs(options)]);
}

/**
 * The Node arguments that run one of this package's scripts (the baseline server): under `tsx`
 * with the `@flashsale/source` condition when running from TypeScript sources, plainly once built.
 */
export function nodeScript(relativeToSrc: string): string[] {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const script = fileURLToPath(new URL(`../${relativeToSrc}${fromSource ? '.ts' : '.js'}`, import.meta.url));
  if (!fromSource) return [script];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--conditions=@flashsale/source', '--import', tsx, script];
}

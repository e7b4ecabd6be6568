import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../src/bin.ts', import.meta.url));

/**
 * Exactly what `pnpm flashsale` runs: the TypeScript sources through tsx, with the source
 * condition. tsx by its resolved URL, so a child may run in any working directory.
 */
const NODE_FLAGS = ['--conditions=@flashsale/source', '--import', import.meta.resolve('tsx')];
const NODE_ARGS = [...NODE_FLAGS, BIN];

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for a child: the test's, minus anything that would pick a database or a secret for it. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['DATABASE_URL', 'FLASHSALE_WEBHOOK_SECRET', 'FLASHSALE_ADMIN_TOKEN', 'FLASHSALE_METRICS_TOKEN', 'FLASHSALE_EVENTS_SECRET', 'FLASHSALE_EVENTS_NATS', 'FLASHSALE_BUYER_JWT_KEY', 'FLASHSALE_BUYER_JWT_ISSUER', 'FLASHSALE_BUYER_JWT_AUDIENCE', 'PORT', 'HOST', 'LOG_LEVEL']) {
    if (!(name in extra)) delete env[name];
  }
  // Progress lines are for terminals; children here write to pipes, but be explicit.
  env.CI = '1';
  return env;
}

/**
 * Runs `flashsale <args>` as its own process and resolves when it exits. `nodeFlags` go to Node
 * after the ones `pnpm flashsale` passes; `cwd` defaults to the repository root.
 */
export function runCli(args: string[], options: { env?: Record<string, string>; nodeFlags?: string[]; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const nodeArgs = [...NODE_FLAGS, ...(options.nodeFlags ?? []), BIN, ...args];
    const child = spawn(process.execPath, nodeArgs, { cwd: options.cwd ?? ROOT, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A JSON log line of `flashsale serve` (pino's fields, and the line's own). */
export type LogLine = { level: number; time: number; pid: number; msg: string; worker?: number } & Record<string, unknown>;

/** The JSON lines of `stdout`, in order; a line that is not JSON fails the test. */
export function logLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/** The messages of `stdout`'s log lines written by the process itself (with `--workers`, the primary). */
export function ownMessages(stdout: string): string[] {
  return logLines(stdout.slice(0, stdout.lastIndexOf('\n') + 1))
    .filter((line) => line.worker === undefined)
    .map((line) => line.msg);
}

export interface RunningCli {
  /** The URL of the "flashsale listening on <url>" line (with `--workers`, the primary's). */
  url: string;
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** The messages of its own log lines so far, one a line (with `--workers`, the primary's). */
  messages(): string;
  /** Resolves with the exit once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A `flashsale serve` process just spawned: what it has written so far, and its exit. */
export type LaunchedCli = Omit<RunningCli, 'url'>;

/** Spawns `flashsale serve <args>` and returns at once, without waiting for it to listen. */
export function launchServe(args: string[], options: { env?: Record<string, string> } = {}): LaunchedCli {
  return launchCli(['serve', ...args], options);
}

/** Spawns `flashsale <args>` (a long-running command: serve, events:tail --follow) and returns at once. */
export function launchCli(args: string[], options: { env?: Record<string, string> } = {}): LaunchedCli {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  return { child, exited, output: () => ({ stdout, stderr }), messages: () => ownMessages(stdout).join('\n') };
}

/** Starts `flashsale serve <args>` and resolves once it logs the URL it listens on. */
export function startServe(args: string[], options: { env?: Record<string, string> } = {}): Promise<RunningCli> {
  const launched = launchServe(args, options);
  const { child, exited, output } = launched;
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    const onData = () => {
      let match: RegExpExecArray | null;
      try {
        match = /^flashsale listening on (http:\/\/\S+)$/m.exec(launched.messages());
      } catch (error) {
        child.stdout!.off('data', onData);
        child.kill('SIGKILL');
        return reject(error as Error);
      }
      if (!match) return;
      child.stdout!.off('data', onData);
      resolve({ ...launched, url: match[1]! });
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      const { stdout, stderr } = output();
      reject(new Error(`serve ended before listening (code ${code}, signal ${signal}):\n${stdout}\n${stderr}`));
    });
  });
}

/** Whether process `pid` still exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

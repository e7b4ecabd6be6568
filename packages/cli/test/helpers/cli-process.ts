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
  for (const name of ['DATABASE_URL', 'FLASHSALE_WEBHOOK_SECRET', 'FLASHSALE_ADMIN_TOKEN', 'PORT', 'HOST']) {
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

export interface RunningCli {
  /** The URL parsed from "flashsale listening on <url>". */
  url: string;
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Resolves with the exit once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `flashsale serve <args>` and resolves once it prints the URL it listens on. */
export function startServe(args: string[], options: { env?: Record<string, string> } = {}): Promise<RunningCli> {
  const child = spawn(process.execPath, [...NODE_ARGS, 'serve', ...args], { cwd: ROOT, env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^flashsale listening on (http:\/\/\S+)$/m.exec(stdout);
      if (match) resolve({ url: match[1]!, child, exited, output: () => ({ stdout, stderr }) });
    });
    void exited.then(({ code, signal }) => reject(new Error(`serve ended before listening (code ${code}, signal ${signal}):\n${stdout}\n${stderr}`)));
  });
}

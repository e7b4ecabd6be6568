import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** A fixture script in its own Node process (tsx, workspace sources), as a second server would be. */
export interface Worker {
  /** Resolves when the script has printed `ready`. */
  ready: Promise<void>;
  /** Tells the script to start. */
  go(): void;
  /** The JSON the script printed last, once it has exited with status 0. */
  result: Promise<unknown>;
}

export function startWorker(script: string, args: string[]): Worker {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--conditions=@flashsale/source', '--import', 'tsx', fileURLToPath(new URL(`../fixtures/${script}`, import.meta.url)), ...args],
    { cwd: root, stdio: 'pipe' },
  );
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') markReady();
    else lines.push(line);
  });
  const result = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${script} exited with ${code}: ${stderr}`);
    return JSON.parse(lines.at(-1) ?? 'null') as unknown;
  });
  // A worker that dies before `ready` must fail the test rather than hang it.
  void result.catch(() => markReady());
  return { ready, go: () => child.stdin.end('go\n'), result };
}

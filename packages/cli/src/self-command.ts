import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/**
 * How to start this same `flashsale` again as a child process: the Node binary, and the Node
 * flags and script this process was started with. A relative `--import tsx` (as `pnpm flashsale`
 * passes) is made absolute, so the child starts whatever its working directory.
 *
 * @example const [command, prefix] = selfCommand(); spawn(command, [...prefix, 'serve', '--port', '0'])
 */
export function selfCommand(): [command: string, prefix: string[]] {
  const execArgv = [...process.execArgv];
  for (let i = 0; i < execArgv.length; i++) {
    if (execArgv[i] === '--import' && execArgv[i + 1] === 'tsx') execArgv[i + 1] = absoluteTsx() ?? 'tsx';
    if (execArgv[i] === '--import=tsx') execArgv[i] = `--import=${absoluteTsx() ?? 'tsx'}`;
  }
  return [process.execPath, [...execArgv, process.argv[1]!]];
}

function absoluteTsx(): string | undefined {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    return undefined;
  }
}

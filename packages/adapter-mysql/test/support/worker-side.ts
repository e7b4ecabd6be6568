import { once } from 'node:events';

/** The worker's half of the handshake: says `ready`, waits for `go` on stdin. */
export async function readyThenWaitForGo(): Promise<void> {
  process.stdout.write('ready\n');
  process.stdin.resume();
  await once(process.stdin, 'end');
}

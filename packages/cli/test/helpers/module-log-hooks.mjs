// Node module-resolution hooks that append every resolved file:// URL to a log file, one a line,
// so a test can see which modules a child process loaded. Registered with
// `module.register(thisFile, { data: { log } })`; they run on Node's hooks thread.
import { appendFileSync } from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:')) appendFileSync(log, `${result.url}\n`);
  return result;
}

#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv.slice(2));
process.exitCode = code;
// Let the process end by itself (flushing output); if a stray handle keeps it alive, end it anyway.
setTimeout(() => process.exit(code), 2_000).unref();

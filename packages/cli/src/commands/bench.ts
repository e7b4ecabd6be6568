import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** `flashsale bench`: registered once @flashsale/bench exports `runBench`. */
export function registerBench(_program: Command, _ctx: CliContext): void {}

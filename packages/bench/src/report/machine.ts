import { cpus } from 'node:os';
import type { QtyRange } from '../options.js';

/** What the figures were measured on. */
export function machineInfo(): { cpus: number; cpu_model: string; node: string; platform: string } {
  const list = cpus();
  return { cpus: list.length, cpu_model: list[0]?.model.trim() ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

/** `1` or `1..5`, as `--qty` takes it. */
export function qtyText(qty: QtyRange): string {
  return qty.min === qty.max ? String(qty.min) : `${qty.min}..${qty.max}`;
}

import { describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { runCli } from './helpers/cli-process.js';
import { memoryIo } from './helpers/memory-io.js';

describe('flashsale bench', () => {
  it('stampedes its own flashsale serve and exits 0 with every invariant holding', async () => {
    const result = await runCli(['bench', '--requests', '300', '--concurrency', '32', '--stock', '50', '--json', '--no-progress']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; mode: string; invariants: { name: string; ok: boolean }[]; status_counts: Record<string, number>; events: { pushed: boolean; outbox_events: number; delivered_events: number } };
    expect(report.mode).toBe('stampede');
    expect(report.invariants.length).toBeGreaterThan(0);
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    // Its serve pushed every event (--events-url, --events-secret) to the bench's receiver.
    expect(report.invariants.map((i) => i.name)).toContain('every committed change has exactly one event, delivered');
    expect(report.events.pushed).toBe(true);
    expect(report.events.delivered_events).toBe(report.events.outbox_events);
  });

  it('stampedes without pushing events under --no-events', async () => {
    const result = await runCli(['bench', '--requests', '200', '--concurrency', '16', '--stock', '50', '--no-events', '--json', '--no-progress']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { settings: { events: boolean }; events: { pushed: boolean; not_pushed: string }; invariants: { name: string; ok: boolean }[] };
    expect(report.settings.events).toBe(false);
    expect(report.events).toMatchObject({ pushed: false, not_pushed: '--no-events' });
    expect(report.invariants.find((i) => i.name === 'every committed change has exactly one event')?.ok).toBe(true);
  });

  it('spreads the stampede over --products and checks out --flow-concurrency buyers at once', async () => {
    const result = await runCli(['bench', '--requests', '300', '--concurrency', '32', '--products', '3', '--stock', '20', '--flow-concurrency', '8', '--json', '--no-progress']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { settings: Record<string, unknown>; checkout_wave: { concurrency: number; orders: { requests: number } }; invariants: { ok: boolean }[] };
    expect(report.settings).toMatchObject({ products: 3, flow_concurrency: 8 });
    expect(report.checkout_wave.concurrency).toBe(8);
    expect(report.checkout_wave.orders.requests).toBeGreaterThan(0);
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
  });

  it.each([
    [['bench', '--products', '0'], /--products/],
    [['bench', '--products', '2', '--buyers', '10'], /--products takes no --buyers/],
    [['bench', '--qty', '0'], /--qty must be a positive integer or a range/],
    [['bench', '--qty', 'lots'], /'--qty <n\|min\.\.max>' argument 'lots' is invalid/],
    [['bench', '--target', 'http://example.com', '--admin-token', 'x', '--db', 'b.db'], /--target must be a loopback URL/],
    [['bench', '--strategy', 'optimistic'], /argument 'optimistic' is invalid\. Allowed choices are pessimistic, atomic, coalesced, all/],
    [['bench', '--db', 'mongodb://x'], /--db: unsupported database/],
  ])('flashsale %j is a one-line usage error', async (argv, message) => {
    const io = memoryIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.out()).toBe('');
    expect(io.err().trimEnd().split('\n')).toHaveLength(1);
    expect(io.err()).toMatch(message);
  });
});

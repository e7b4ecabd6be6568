import { openSqliteStore } from '@flashsale/adapter-sqlite';
import { describe, expect, it } from 'vitest';
import { renderTable, runBench } from '../src/index.js';
import { lyingSink } from './support/broken-sink.js';
import { openOutboxBreakingStore } from './support/broken-store.js';
import { inProcessLauncher } from './support/in-process-launcher.js';

const quiet = { progress: false as const, log: () => {} };
const DELIVERED = 'every committed change has exactly one event, delivered';
const OUTBOX_ONLY = 'every committed change has exactly one event';

describe('stampede mode: merchant events', () => {
  it('has the server push every event to its receiver, and checks each change has its one event, delivered and signed', async () => {
    const launchServer = inProcessLauncher((db) => openSqliteStore({ filename: db }));
    const report = await runBench({ requests: 300, concurrency: 32, stock: 150, warmup: 30, launchServer, ...quiet });
    console.log(renderTable(report));
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
    const check = report.invariants.find((i) => i.name === DELIVERED);
    expect(check?.detail).toMatch(/^\d+ events for \d+ orders and \d+ releases, each as its rows say; \d+ deliveries, \d+ duplicates, every signature valid/);
    const events = report.events!;
    expect(report.settings.events).toBe(true);
    expect(events.pushed).toBe(true);
    // Every order appends at least its order.created and one outcome; the stock sold out once.
    expect(events.by_type['order.created']).toBe(report.flow!.ordered);
    expect(events.by_type['product.sold_out']).toBeGreaterThanOrEqual(1);
    expect(events.delivered_events).toBe(events.outbox_events);
    expect(events.deliveries).toBe(events.delivered_events! + events.duplicates!);
    expect(events.invalid_signatures).toBe(0);
    expect(events.latency_ms!.count).toBe(events.outbox_events);
    // The server's own histogram saw the same deliveries.
    expect(events.server_latency_p50_ms).toBeGreaterThan(0);
    expect(renderTable(report)).toMatch(/^events: [\d,]+ in the outbox, pushed: [\d,]+ deliveries/m);
  });

  it('measures without pushing under --no-events, and still audits the outbox', async () => {
    const launchServer = inProcessLauncher((db) => openSqliteStore({ filename: db }));
    const report = await runBench({ requests: 200, concurrency: 16, stock: 100, warmup: 0, events: false, launchServer, ...quiet });
    expect(report.invariants.filter((i) => !i.ok)).toEqual([]);
    expect(report.invariants.map((i) => i.name)).toContain(OUTBOX_ONLY);
    expect(report.invariants.map((i) => i.name)).not.toContain(DELIVERED);
    expect(report.settings.events).toBe(false);
    expect(report.events).toMatchObject({ pushed: false, not_pushed: '--no-events' });
    expect(report.events!.outbox_events).toBeGreaterThan(0);
    expect(report.events!.deliveries).toBeUndefined();
  });

  it('names events that never arrived, forged signatures and an event that is in no outbox', async () => {
    const launchServer = inProcessLauncher((db) => openSqliteStore({ filename: db }), lyingSink);
    const report = await runBench({ requests: 300, concurrency: 32, stock: 150, warmup: 0, eventDeliveryWaitMs: 3_000, launchServer, ...quiet });
    console.log(renderTable(report));
    const check = report.invariants.find((i) => i.name === DELIVERED)!;
    expect(report.flow!.released).toBeGreaterThan(0);
    expect(report.flow!.failed).toBeGreaterThan(0);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/\d+ of \d+ outbox events never reached the receiver within 3 s of the end of the flow: .*(hold\.released|order\.failed) #\d+ evt_/);
    expect(check.detail).toMatch(/\d+ deliveries failed the Standard Webhooks check/);
    expect(check.detail).toMatch(/1 delivered events are not in the outbox \(evt_f{32}\)/);
    expect(check.detail).toMatch(/\(events \d+, deliveries \d+, duplicates \d+\)$/);
    expect(report.ok).toBe(false);
    // Every other check holds: only the events were lied about.
    expect(report.invariants.filter((i) => !i.ok).map((i) => i.name)).toEqual([DELIVERED]);
  });

  it('names, from the outbox, an order with no event for its outcome and a release that did not happen', async () => {
    const launchServer = inProcessLauncher(openOutboxBreakingStore);
    const report = await runBench({ requests: 300, concurrency: 32, stock: 150, warmup: 0, launchServer, ...quiet });
    console.log(renderTable(report));
    const check = report.invariants.find((i) => i.name === DELIVERED)!;
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(/order \d+ \(expired\) has no event after order\.created, expected order\.expired/);
    expect(check.detail).toMatch(/hold\.released for hold \d+, which is expired/);
    expect(report.invariants.filter((i) => !i.ok).map((i) => i.name)).toEqual([DELIVERED]);
  });
});

import { randomBytes } from 'node:crypto';
import { createFlashSale } from '@flashsale/core';
import { signWebhook } from '@flashsale/server';
import { fire, type LoadResult } from '../load/fire.js';
import type { ResolvedBenchOptions } from '../options.js';
import { createProgress, type Progress } from '../progress.js';
import { seededRandom } from '../random.js';
import { machineInfo, qtyText } from '../report/machine.js';
import { histogram, round, summarize } from '../report/stats.js';
import type { BenchReport, CheckoutStepReport, EndpointReport, Invariant } from '../report/types.js';
import { benchDbFor, dbArgument, describeBenchDb, openBenchDb, type OpenedBenchDb } from '../storage/bench-db.js';
import type { LaunchedServer, ServerLauncher } from '../server/launcher.js';
import { nodeScript, spawnServerProcess } from '../server/spawn-server.js';
import { ApiClient } from './api-client.js';
import { auditStampede, VERIFY_CHECK } from './audit.js';
import { auditEvents } from './event-audit.js';
import { startEventReceiver, type EventReceiver } from './event-receiver.js';
import { auditDrop, buyerUnits, dropFigures, type DropSetup } from './drop-audit.js';
import { runFlow } from './flow.js';
import { buyerName, runHoldPhase } from './hold-phase.js';
import { StockLedgers } from './ledger.js';
import { combineWaves, fireWave, type WaveMeasure } from './checkout-wave.js';
import { releasedUnits } from './released-units.js';
import { roundTrips } from './round-trips.js';

/**
 * TTLs of the bench's own server: long enough that nothing expires by the clock during a run, so
 * every release is one the bench caused and can place in time. Abandoned holds and unpaid orders
 * are released by the bench's expiry pass, run with a clock moved past these deadlines.
 */
const OWN_HOLD_TTL_MS = 30 * 60_000;
const OWN_PAYMENT_TTL_MS = 30 * 60_000;
/** Long enough that an extension during the run moves a hold (30 minutes from then). */
const OWN_HOLD_MAX_LIFETIME_MS = 2 * OWN_HOLD_TTL_MS;
/** A `--target` server's payment deadline is assumed to be the product default. */
const TARGET_PAYMENT_TTL_MS = 15 * 60_000;

/**
 * Stampede mode: a server in its own process, one product (or `products` of them), N hold attempts
 * at concurrency C, the winners walked through orders and payments with realistic mess (the
 * checkout wave), one expiry pass, then the audit.
 * The server is `o.target`, or one `o.launchServer` starts (the CLI's runs `flashsale serve`).
 */
export async function runStampede(o: ResolvedBenchOptions): Promise<BenchReport> {
  const { target } = o;
  // A running target is a server nobody starts or stops.
  const launchServer: ServerLauncher | undefined = target ? async () => ({ url: target, close: async () => {} }) : o.launchServer;
  if (!launchServer) {
    throw new RangeError('a stampede needs a server: give launchServer (such as commandLauncher, which runs `flashsale serve`) or --target');
  }
  const started = Date.now();
  const progress = createProgress(o.progress);
  const rng = seededRandom(o.seed);
  const db = benchDbFor(o.db, { target: target !== undefined });
  const opened = await openBenchDb(db, { synchronous: o.synchronous, keep: o.keepDb });
  let server: LaunchedServer | undefined;
  let client: ApiClient | undefined;
  let baselineServer: Awaited<ReturnType<typeof startBaseline>> | undefined;
  let receiver: EventReceiver | undefined;
  try {
    const notPushed = whyNotPushed(o, opened);
    if (notPushed !== undefined && o.events === true) throw new RangeError(`--events: the server cannot push its events: ${notPushed}`);
    receiver = notPushed === undefined ? await startEventReceiver() : undefined;
    // The run's events are those after this: a new sink starts at the newest event.
    const eventsAfter = await newestEventPosition(opened);
    baselineServer = o.baseline ? await startBaseline(o, progress) : undefined;
    const baselineRuns: LoadResult[] = [];
    if (baselineServer) baselineRuns.push(await baselineServer.measure());

    const adminToken = o.adminToken ?? randomBytes(24).toString('hex');
    o.log(o.target ? `stampede: target ${o.target}` : `stampede: starting a flashsale server on ${describeBenchDb(db)}`);
    server = await launchServer({
      db: dbArgument(db),
      adminToken,
      holdTtlMs: OWN_HOLD_TTL_MS,
      holdMaxLifetimeMs: OWN_HOLD_MAX_LIFETIME_MS,
      paymentTtlMs: OWN_PAYMENT_TTL_MS,
      sweepIntervalMs: 5_000,
      events: receiver && { url: receiver.url, secret: receiver.secret },
    });
    o.log(receiver ? `events: the server pushes every merchant event to ${receiver.url}, in this process` : `events: not pushed (${notPushed}); the audit checks the outbox alone`);
    // One connection per buyer of the checkout wave, opened before it (ApiClient.connect).
    client = new ApiClient(server.url, { connections: o.flowConcurrency ?? o.concurrency, timeoutMs: o.requestTimeoutMs });
    const api = client;
    const createProduct = async (name: string, stock: number, drop: Record<string, unknown> = {}): Promise<number> => {
      const res = await api.post('admin', '/api/admin/products', { name, price: '10.00', stock, ...drop }, { authorization: `Bearer ${adminToken}` });
      if (res.status !== 201 || typeof res.json?.id !== 'number') {
        throw new Error(`creating the bench product failed: ${res.status} ${JSON.stringify(res.json)} (is --admin-token right?)`);
      }
      return res.json.id;
    };
    const runId = randomBytes(3).toString('hex');

    if (o.warmup > 0) {
      // A product of its own, so warm-up holds never touch the audited one (verify still covers it),
      // with no more stock than the measured one: a sold-out stampede warms up refusing, as it runs.
      const warm = await createProduct(`bench warm-up ${runId}`, Math.min(o.stock, o.warmup * o.qty.max));
      progress.start('warm-up', o.warmup);
      await runHoldPhase({ baseUrl: server.url, productIds: [warm], requests: o.warmup, concurrency: o.concurrency, qty: o.qty, timeoutMs: o.requestTimeoutMs, rng, buyers: o.buyers, onProgress: (n) => progress.update(n) });
      progress.stop();
    }

    // Drops: the measured product's window opens `opensInMs` after it is created; the stampede starts at once.
    const opensAt = o.opensInMs === undefined ? undefined : Date.now() + o.opensInMs;
    const drop: DropSetup = { buyers: o.buyers, maxPerBuyer: o.maxPerBuyer, opensAt };
    const productIds: number[] = [];
    for (let i = 0; i < o.products; i++) {
      productIds.push(
        await createProduct(o.products === 1 ? `bench ${runId}` : `bench ${runId} #${i + 1}`, o.stock, {
          ...(opensAt === undefined ? {} : { sale_starts_at: new Date(opensAt).toISOString() }),
          ...(o.maxPerBuyer === undefined ? {} : { max_per_buyer: o.maxPerBuyer }),
        }),
      );
    }
    // Drops run on one product (resolveBenchOptions refuses --products with them).
    const productId = productIds[0]!;
    const ledger = new StockLedgers();
    const metricsBefore = await readMetrics(api);
    // The store calls made before the opening: /metrics read at the opening instant, or when the
    // stampede ends if that comes first (then every call was before it).
    const opening = opensAt === undefined ? undefined : atOpening(opensAt, () => readMetrics(api));
    o.log(`stampede: ${o.requests} hold attempts at concurrency ${o.concurrency} on ${o.products === 1 ? 'a stock' : `${o.products} products, each a stock`} of ${o.stock}${describeDrop(o)}`);
    progress.start('holds', o.requests);
    const hold = await runHoldPhase({
      baseUrl: server.url,
      productIds,
      requests: o.requests,
      concurrency: o.concurrency,
      qty: o.qty,
      timeoutMs: o.requestTimeoutMs,
      rng,
      ledger,
      buyers: o.buyers,
      onProgress: (n) => progress.update(n),
    });
    progress.stop();
    const unitsAfterHolds = o.maxPerBuyer === undefined ? undefined : await buyerUnits(opened, productId);
    const storeCallsBeforeOpening = opening && storeCallsBetween(metricsBefore, await opening.now());
    if (baselineServer) baselineRuns.push(await baselineServer.measure());
    const baseline = baselineRuns.length > 0 ? combineRuns(baselineRuns) : undefined;
    const metricsAfter = await readMetrics(api);
    const phaseEnd = Date.now();
    const availableAfter = new Map<number, number>();
    for (const id of productIds) {
      const after = await api.get('products', `/api/products/${id}`);
      availableAfter.set(id, typeof after.json?.available_stock === 'number' ? after.json.available_stock : Number.NaN);
    }
    const availableAfterHolds = availableAfter.get(productId)!;

    const maxExpiry = hold.holds.reduce((max, h) => Math.max(max, h.expiresAt), phaseEnd);
    const paymentTtl = o.target ? TARGET_PAYMENT_TTL_MS : OWN_PAYMENT_TTL_MS;
    const shiftMs = maxExpiry - Date.now() + paymentTtl + 60_000;
    // The pass runs here, on the same database, like `flashsale holds:release` from cron: with a
    // clock past every deadline of this run, while the server's own sweeper keeps running.
    const passEngine = createFlashSale({ store: opened.store, clock: () => Date.now() + shiftMs });
    o.log(`flow: ${hold.holds.length} winners release, extend, order, pay, fail, abandon, read their orders; then one expiry pass`);
    // The checkout wave: every winner at once (up to --concurrency), or --flow-concurrency of them.
    const flowConcurrency = o.flowConcurrency ?? Math.max(1, Math.min(o.concurrency, hold.holds.length));
    const waveBaseline = baselineServer ? await baselineServer.checkout(flowConcurrency, hold.holds.length) : undefined;
    const waveBaselineRuns = waveBaseline ? [await waveBaseline.measure()] : [];
    await api.connect('/healthz');
    const metricsBeforeFlow = await readMetrics(api);
    let step = '';
    const flow = await runFlow({
      client: api,
      holds: hold.holds,
      rng,
      concurrency: flowConcurrency,
      ledger,
      ...(o.webhookSecret ? { sign: (body: string) => ({ ...signWebhook(o.webhookSecret!, body) }) } : {}),
      expiryPass: async () => {
        const summary = await passEngine.releaseExpired();
        return { holds: summary.holds, orders: summary.orders, units: summary.units };
      },
      onProgress: (name, done, total) => {
        if (name !== step) progress.start((step = name), total);
        progress.update(done);
      },
    });
    progress.stop();
    const flowEndedAt = Date.now();
    // At once: this process is the receiver, and the wait measures how fast the backlog drains.
    const launched = server;
    const events = await auditEvents({
      opened,
      engine: passEngine,
      products: productIds.map((id) => ({ productId: id, stock: o.stock, availableAfterHolds: availableAfter.get(id)!, peak: ledger.of(id).peak() })),
      flow,
      afterPosition: eventsAfter,
      delivery: receiver
        ? { receiver, flowEndedAt, waitMs: o.eventDeliveryWaitMs, readMetrics: () => readMetrics(api), died: () => launched.died?.() }
        : { notPushed: notPushed! },
    });
    if (waveBaseline) {
      waveBaselineRuns.push(await waveBaseline.measure());
      await waveBaseline.close();
    }
    await baselineServer?.close();
    const [releasedBefore, releasedAfter] = [releasedUnits(metricsBeforeFlow), releasedUnits(await readMetrics(api))];

    const serverErrors = collectServerErrors(hold.load, api);
    const death = server.died?.();
    if (death) serverErrors.unshift(death);
    const invariants = await auditStampede({
      opened,
      engine: passEngine,
      products: productIds.map((id) => ({ productId: id, stock: o.stock, availableAfterHolds: availableAfter.get(id)!, peak: ledger.of(id).peak() })),
      hold,
      expiredDuringHolds: hold.holds.some((h) => h.expiresAt <= phaseEnd),
      flow,
      serverErrors,
      releasedUnitsByServer: releasedBefore === undefined || releasedAfter === undefined ? undefined : releasedAfter - releasedBefore,
    });
    // Before the engine's own audit, which stays last.
    const verifyAt = invariants.findIndex((i) => i.name === VERIFY_CHECK);
    invariants.splice(verifyAt < 0 ? invariants.length : verifyAt, 0, events.invariant);
    const hasDrop = o.buyers !== undefined || opensAt !== undefined;
    if (hasDrop) {
      const unitsAtEnd = o.maxPerBuyer === undefined ? undefined : await buyerUnits(opened, productId);
      invariants.push(...(await auditDrop({ opened, productId, setup: drop, hold, unitsAfterHolds, unitsAtEnd, storeCallsBeforeOpening })));
    }

    const holdLatency = summarize(hold.load.latenciesMs);
    const endpoints: Record<string, EndpointReport> = {
      'POST /api/holds': { requests: hold.load.responses, latency_ms: holdLatency, status_counts: hold.load.statusCounts },
    };
    for (const [label, log] of api.endpoints) {
      if (label === 'admin') continue;
      endpoints[endpointName(label)] = { requests: log.latenciesMs.length, latency_ms: summarize(log.latenciesMs), status_counts: log.statusCounts };
    }
    const holdsPerSec = round(hold.load.rps, 0);
    return {
      ok: invariants.every((i) => i.ok),
      mode: 'stampede',
      db: describeBenchDb(db),
      target: o.target ?? null,
      settings: { ...settingsOf(o), events: receiver !== undefined },
      started_at: new Date(started).toISOString(),
      duration_ms: Date.now() - started,
      machine: machineInfo(),
      holds_per_sec: holdsPerSec,
      latency_ms: holdLatency,
      latency_established_ms: summarize(hold.load.establishedLatenciesMs),
      status_counts: hold.load.statusCounts,
      endpoints,
      ...(baseline
        ? {
            baseline_rps: round(baseline.rps, 0),
            baseline_rps_runs: baseline.runsRps,
            baseline_ratio: baseline.rps > 0 ? round(hold.load.rps / baseline.rps, 3) : 0,
            baseline_latency_ms: summarize(baseline.latenciesMs),
            baseline_latency_established_ms: summarize(baseline.establishedLatenciesMs),
          }
        : {}),
      store_round_trips: roundTrips(metricsBefore, metricsAfter, hold.load.responses),
      flow: flow.summary,
      checkout_wave: {
        concurrency: flowConcurrency,
        orders: checkoutStep(flow.wave.orders, waveBaselineRuns.map((r) => r.orders)),
        webhooks: withStepAnswers(checkoutStep(flow.wave.webhooks, waveBaselineRuns.map((r) => r.webhooks)), flow.wave.webhooks, flow.wave.readsDuringWebhooks),
      },
      ...(hasDrop
        ? { drop: await dropFigures({ opened, productId, setup: drop, hold, storeCallsBeforeOpening, soldOut: availableAfterHolds === 0, baselineRps: baseline?.rps }) }
        : {}),
      events: events.report,
      invariants,
      charts: {
        latency_histogram: histogram(hold.load.latenciesMs),
        throughput: { bucket_ms: hold.load.timeline.bucketMs, per_sec: hold.load.timeline.ratePerSecond() },
        ...(baseline ? { baseline_throughput: { bucket_ms: baseline.timeline.bucketMs, per_sec: baseline.timeline.ratePerSecond() } } : {}),
      },
    };
  } finally {
    progress.stop();
    await client?.close().catch(() => {});
    await server?.close().catch(() => {});
    await baselineServer?.close().catch(() => {});
    await receiver?.close().catch(() => {});
    await opened.close();
  }
}

/**
 * The bare-Hono baseline: same load generator, same concurrency and count, its own process. It is
 * measured right before and right after the hold burst, and the two runs count as one, so a
 * machine that got busier or quieter meanwhile moves both figures of the ratio alike.
 */
async function startBaseline(o: ResolvedBenchOptions, progress: Progress): Promise<BaselineServer> {
  o.log('baseline: bare Hono on @hono/node-server, 201 + small JSON, measured before and after the holds');
  const server = await spawnServerProcess(process.execPath, nodeScript('children/baseline-server'));
  // The shape of a hold request's body, buyer included when the holds name one.
  const body = JSON.stringify({ product_id: 1, qty: o.qty.min, ...(o.buyers === undefined ? {} : { buyer_id: buyerName(o.buyers) }) });
  const url = `${server.url}/api/holds`;
  try {
    if (o.warmup > 0) await fire({ url, requests: o.warmup, concurrency: o.concurrency, timeoutMs: o.requestTimeoutMs, body });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    async measure() {
      progress.start('baseline', o.requests);
      // Its answers are kept as the hold phase keeps its own, so both cost the load generator alike.
      const answers: string[] = [];
      const result = await fire({
        url,
        requests: o.requests,
        concurrency: o.concurrency,
        timeoutMs: o.requestTimeoutMs,
        body,
        wantBody: (status) => status === 201,
        onBody: (_status, answer) => void answers.push(answer),
        onProgress: (n) => progress.update(n),
      });
      progress.stop();
      return result;
    },
    async checkout(concurrency: number, winners: number) {
      // As many of each as the flow's buyers send, about: one order and one webhook per winner.
      const count = Math.max(200, winners);
      const client = new ApiClient(server.url, { connections: concurrency, timeoutMs: o.requestTimeoutMs });
      await client.connect('/');
      const order = JSON.stringify({ hold_id: 1, token: 'f'.repeat(64) });
      const payment = JSON.stringify({ order_id: 1, status: 'success', txn_id: 'txn-baseline-1' });
      return {
        async measure() {
          const orders = await fireWave(client, 'orders', '/api/orders', order, count, concurrency);
          const webhooks = await fireWave(client, 'webhook', '/api/payments/webhook', payment, count, concurrency, { 'idempotency-key': 'baseline-key' });
          return { orders, webhooks };
        },
        close: () => client.close(),
      };
    },
    close: () => server.close(),
  };
}

/** The bare-Hono process: the hold burst's side (`measure`) and the checkout wave's (`checkout`). */
interface BaselineServer {
  measure(): Promise<LoadResult>;
  /** A client of `concurrency` open connections that measures one orders step and one webhooks step per call. */
  checkout(concurrency: number, winners: number): Promise<{ measure(): Promise<{ orders: WaveMeasure; webhooks: WaveMeasure }>; close(): Promise<void> }>;
  close(): Promise<void>;
}

/** A checkout step's figures, with bare Hono's for the same step when measured. */
function checkoutStep(step: WaveMeasure, baselineRuns: WaveMeasure[]): CheckoutStepReport {
  const base = baselineRuns.length > 0 ? combineWaves(baselineRuns) : undefined;
  return {
    requests: step.requests,
    per_sec: round(step.rps, 0),
    latency_ms: summarize(step.latenciesMs),
    ...(base
      ? {
          baseline_rps: round(base.rps, 0),
          baseline_rps_runs: base.runsRps,
          baseline_ratio: base.rps > 0 ? round(step.rps / base.rps, 3) : 0,
          baseline_latency_ms: summarize(base.latenciesMs),
        }
      : {}),
  };
}

/**
 * The webhook step's own figure counts webhooks only, while the server also answers each buyer's
 * page reading its order (about two reads per webhook): this gives the step's every answer.
 */
function withStepAnswers(report: CheckoutStepReport, step: WaveMeasure, reads: number): CheckoutStepReport {
  const requests = step.requests + reads;
  const perSec = step.durationMs > 0 ? (requests / step.durationMs) * 1000 : 0;
  const ratio = report.baseline_rps ? { baseline_ratio: round(perSec / report.baseline_rps, 3) } : {};
  return { ...report, step_answers: { requests, per_sec: round(perSec, 0), ...ratio } };
}

/** Two baseline runs as one: their answers together, over their durations together. */
function combineRuns(runs: readonly LoadResult[]): { rps: number; runsRps: number[]; latenciesMs: number[]; establishedLatenciesMs: number[]; timeline: LoadResult['timeline'] } {
  const responses = runs.reduce((sum, r) => sum + r.responses, 0);
  const durationMs = runs.reduce((sum, r) => sum + r.durationMs, 0);
  return {
    rps: durationMs > 0 ? (responses / durationMs) * 1000 : 0,
    runsRps: runs.map((r) => round(r.rps, 0)),
    latenciesMs: runs.flatMap((r) => r.latenciesMs),
    establishedLatenciesMs: runs.flatMap((r) => r.establishedLatenciesMs),
    timeline: runs[0]!.timeline,
  };
}

async function readMetrics(client: ApiClient): Promise<string | undefined> {
  try {
    const res = await client.text('/metrics');
    return res.status === 200 ? res.text : undefined;
  } catch {
    return undefined;
  }
}

function collectServerErrors(load: LoadResult, client: ApiClient): string[] {
  const errors: string[] = [];
  const fivexx = (counts: Record<string, number>) => Object.entries(counts).filter(([s]) => s.startsWith('5') || s === '0');
  for (const [status, count] of fivexx(load.statusCounts)) errors.push(`${count} hold requests answered ${status}`);
  if (load.errors > 0) errors.push(`${load.errors} hold requests got no answer (connection error or timeout)`);
  if (load.responses < load.requests) errors.push(`${load.requests - load.responses} hold requests were never answered`);
  for (const [label, log] of client.endpoints) {
    for (const [status, count] of fivexx(log.statusCounts)) errors.push(`${count} ${endpointName(label)} requests answered ${status === '0' ? 'nothing' : status}`);
  }
  return errors;
}

function endpointName(label: string): string {
  return (
    {
      orders: 'POST /api/orders',
      webhook: 'POST /api/payments/webhook',
      products: 'GET /api/products/{id}',
      admin: 'admin',
      release: 'POST /api/holds/{id}/release',
      extend: 'POST /api/holds/{id}/extend',
      'order-read': 'GET /api/orders/{id}',
    }[label] ?? label
  );
}

export function settingsOf(o: ResolvedBenchOptions): BenchReport['settings'] {
  return {
    stock: o.stock,
    requests: o.requests,
    concurrency: o.concurrency,
    qty: qtyText(o.qty),
    seed: o.seed,
    warmup: o.warmup,
    synchronous: o.synchronous,
    ...(o.buyers === undefined ? {} : { buyers: o.buyers }),
    ...(o.maxPerBuyer === undefined ? {} : { max_per_buyer: o.maxPerBuyer }),
    ...(o.opensInMs === undefined ? {} : { opens_in_ms: o.opensInMs }),
    ...(o.products === 1 ? {} : { products: o.products }),
    ...(o.flowConcurrency === undefined ? {} : { flow_concurrency: o.flowConcurrency }),
  };
}

/** Why the server will not push its events to the bench's receiver; undefined when it will. */
function whyNotPushed(o: ResolvedBenchOptions, opened: OpenedBenchDb): string | undefined {
  if (o.events === false) return '--no-events';
  if (o.target) return 'a --target server pushes where its operator told it to';
  // The server runs this same adapter: without the queue, `serve --events-url` cannot start.
  if (!hasDeliveryQueue(opened.store)) return `this ${opened.db.kind} store has no delivery queue yet`;
  return undefined;
}

function hasDeliveryQueue(store: Partial<OpenedBenchDb['store']>): boolean {
  return typeof store.registerEventSink === 'function' && typeof store.claimEventDeliveries === 'function' && typeof store.eventDeliveryBacklog === 'function';
}

/** The newest position the outbox has given out: from the delivery queue's backlog when the store has one, else by reading to the end. */
async function newestEventPosition(opened: OpenedBenchDb): Promise<number> {
  if (hasDeliveryQueue(opened.store)) return (await opened.store.eventDeliveryBacklog({ sink: 'flashsale-bench:probe' })).lastPosition;
  let after = 0;
  for (;;) {
    const page = await opened.store.readMerchantEvents({ after, limit: 1_000 });
    if (page.length === 0) return after;
    after = page.at(-1)!.position;
  }
}

/** Drops: what the progress note says of the buyers, the limit and the opening. */
function describeDrop(o: ResolvedBenchOptions): string {
  const parts = [
    ...(o.buyers === undefined ? [] : [`${o.buyers} buyers`]),
    ...(o.maxPerBuyer === undefined ? [] : [`at most ${o.maxPerBuyer} each`]),
    ...(o.opensInMs === undefined ? [] : [`opening in ${o.opensInMs} ms`]),
  ];
  return parts.length ? `, ${parts.join(', ')}` : '';
}

/** Reads `read()` at `at` (epoch ms); `now()` gives that reading, or reads at once when `at` has not come yet. */
function atOpening<T>(at: number, read: () => Promise<T>): { now(): Promise<T> } {
  let reading: Promise<T> | undefined;
  const timer = setTimeout(() => (reading ??= read()), Math.max(0, at - Date.now()));
  return {
    now() {
      clearTimeout(timer);
      return (reading ??= read());
    },
  };
}

/** reserveHolds store calls between two /metrics readings; undefined when either is missing. */
function storeCallsBetween(before: string | undefined, after: string | undefined): number | undefined {
  return roundTrips(before, after, 0)?.store_calls;
}

export type { Invariant };

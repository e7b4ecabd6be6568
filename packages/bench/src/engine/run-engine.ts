import { createFlashSale } from '@flashsale/core';
import type { MysqlStore } from '@flashsale/adapter-mysql';
import type { PostgresStore } from '@flashsale/adapter-postgres';
import type { SqliteStore } from '@flashsale/adapter-sqlite';
import { STRATEGIES, type ResolvedBenchOptions, type Strategy } from '../options.js';
import { createProgress, type Progress } from '../progress.js';
import { seededRandom } from '../random.js';
import { machineInfo } from '../report/machine.js';
import { histogram, round, summarize } from '../report/stats.js';
import type { BenchReport, Invariant, StrategyReport } from '../report/types.js';
import { benchDbFor, describeBenchDb, openBenchDb, type OpenedBenchDb } from '../storage/bench-db.js';
import { VERIFY_CHECK } from '../stampede/audit.js';
import { settingsOf } from '../stampede/run-stampede.js';
import { Timeline } from '../load/timeline.js';
import { CHECKOUT_PATHS, MAX_CHECKOUT_BUYERS, runCheckoutPath, type CheckoutPathReport } from './checkout-paths.js';
import type { HoldRunner } from './hold-runner.js';
import { coalescedRunner } from './strategies/coalesced.js';
import { mysqlAtomicRunner, mysqlPessimisticRunner } from './strategies/mysql-baselines.js';
import { postgresAtomicRunner, postgresPessimisticRunner } from './strategies/postgres-baselines.js';
import { sqliteAtomicRunner, sqlitePessimisticRunner } from './strategies/sqlite-baselines.js';

/** PostgreSQL connections for engine mode: enough for the per-request strategies to queue on the row lock, not on the pool. */
const ENGINE_PG_POOL = 20;

/**
 * Engine mode: no HTTP. Each strategy gets its own product with the same stock and the same
 * sequence of quantities, `concurrency` buyers take turns through it, and the result is audited.
 */
export async function runEngine(o: ResolvedBenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const progress = createProgress(o.progress);
  const db = benchDbFor(o.db);
  const opened = await openBenchDb(db, { synchronous: o.synchronous, keep: o.keepDb, poolSize: Math.min(o.concurrency, ENGINE_PG_POOL) });
  try {
    const rng = seededRandom(o.seed);
    const qtys = Array.from({ length: o.requests }, () => rng.int(o.qty.min, o.qty.max));
    const results: { report: StrategyReport; latencies: number[]; timeline: Timeline }[] = [];
    for (const strategy of o.strategies) {
      const runner = makeRunner(strategy, opened);
      if (o.warmup > 0) {
        const warm = await opened.store.createProduct({ name: `bench warm-up ${strategy}`, priceCents: 1000, stock: o.warmup * o.qty.max });
        await drive(runner, warm.id, qtys.slice(0, o.warmup), o.concurrency);
      }
      o.log(`engine: ${strategy} (${runner.kind}), ${o.requests} holds at concurrency ${o.concurrency} on ${describeBenchDb(db)}`);
      const product = await opened.store.createProduct({ name: `bench ${strategy}`, priceCents: 1000, stock: o.stock });
      progress.start(strategy, o.requests);
      const run = await drive(runner, product.id, qtys, o.concurrency, progress);
      progress.stop();
      const invariants = await auditStrategy(opened, product.id, o.stock, run);
      results.push({
        report: {
          strategy,
          kind: runner.kind,
          holds_per_sec: round((o.requests / run.durationMs) * 1000, 0),
          requests: o.requests,
          granted: run.granted,
          refused: run.refused,
          units_granted: run.units,
          oversell: Math.max(0, run.units - o.stock),
          duration_ms: round(run.durationMs, 1),
          latency_ms: summarize(run.latencies),
          invariants,
        },
        latencies: run.latencies,
        timeline: run.timeline,
      });
    }
    // With every strategy, the checkout wave too: the same buyers order and pay per request, then grouped.
    const checkout = o.strategies.length === STRATEGIES.length ? await runCheckoutPaths(o, opened) : [];
    const verify = await createFlashSale({ store: opened.store }).verify();
    const invariants: Invariant[] = [
      ...results.flatMap((r) => r.report.invariants.map((i) => ({ ...i, name: `${r.report.strategy}: ${i.name}` }))),
      ...checkout.flatMap((c) => c.invariants),
      {
        name: VERIFY_CHECK,
        ok: verify.ok,
        detail: verify.ok ? `conservation holds for all ${verify.products} products` : verify.violations.slice(0, 5).map((v) => `${v.rule}: ${v.detail}`).join('; '),
      },
    ];
    // The headline figure is the engine's own path when it ran, else the one strategy asked for.
    const headline = results.find((r) => r.report.strategy === 'coalesced') ?? results[0]!;
    return {
      ok: invariants.every((i) => i.ok),
      mode: 'engine',
      db: describeBenchDb(db),
      target: null,
      settings: settingsOf(o),
      started_at: new Date(started).toISOString(),
      duration_ms: Date.now() - started,
      machine: machineInfo(),
      holds_per_sec: headline.report.holds_per_sec,
      latency_ms: headline.report.latency_ms,
      status_counts: { granted: headline.report.granted, refused: headline.report.refused },
      endpoints: {},
      strategies: results.map((r) => r.report),
      ...(checkout.length > 0 ? { checkout_paths: checkout } : {}),
      invariants,
      charts: {
        latency_histogram: histogram(headline.latencies),
        throughput: { bucket_ms: headline.timeline.bucketMs, per_sec: headline.timeline.ratePerSecond() },
      },
    };
  } finally {
    progress.stop();
    await opened.close();
  }
}

/**
 * The order and payment paths side by side: a store on the same database that gives each write its
 * own transaction, then the run's own store, which groups them.
 */
async function runCheckoutPaths(o: ResolvedBenchOptions, opened: OpenedBenchDb): Promise<CheckoutPathReport[]> {
  const buyers = Math.min(o.requests, o.stock, MAX_CHECKOUT_BUYERS);
  const countPaid = async (productId: number) => {
    const [row] = await opened.query<{ n: number }>(
      "SELECT count(*) AS n FROM orders WHERE product_id = ? AND status = 'completed'",
      "SELECT count(*)::int AS n FROM orders WHERE product_id = $1 AND status = 'completed'",
      [productId],
    );
    return Number(row?.n ?? 0);
  };
  const reports: CheckoutPathReport[] = [];
  for (const path of CHECKOUT_PATHS) {
    o.log(`engine: checkout ${path}, ${buyers} buyers order then pay at concurrency ${o.concurrency}`);
    const grouped = path === 'grouped';
    // The per-request store shares the run's database and leaves its removal to the run's own.
    const own = grouped ? undefined : await openBenchDb({ ...opened.db, temporary: false }, { synchronous: o.synchronous, keep: true, poolSize: Math.min(o.concurrency, ENGINE_PG_POOL), groupCommit: false });
    try {
      reports.push(await runCheckoutPath(path, createFlashSale({ store: (own ?? opened).store }), countPaid, { buyers, concurrency: o.concurrency }));
    } finally {
      await own?.close();
    }
  }
  return reports;
}

function makeRunner(strategy: Strategy, opened: OpenedBenchDb): HoldRunner {
  if (strategy === 'coalesced') return coalescedRunner(opened.store);
  if (opened.db.kind === 'sqlite') {
    const store = opened.store as SqliteStore;
    return strategy === 'pessimistic' ? sqlitePessimisticRunner(store) : sqliteAtomicRunner(store);
  }
  if (opened.db.kind === 'mysql') {
    const store = opened.store as MysqlStore;
    return strategy === 'pessimistic' ? mysqlPessimisticRunner(store) : mysqlAtomicRunner(store);
  }
  const store = opened.store as PostgresStore;
  return strategy === 'pessimistic' ? postgresPessimisticRunner(store) : postgresAtomicRunner(store);
}

interface DriveResult {
  durationMs: number;
  granted: number;
  refused: number;
  units: number;
  /** The smallest qty refused, if any was. */
  minRefused: number | undefined;
  latencies: number[];
  timeline: Timeline;
}

/** `concurrency` buyers take the next qty from the list until it is empty. */
async function drive(runner: HoldRunner, productId: number, qtys: number[], concurrency: number, progress?: Progress): Promise<DriveResult> {
  const result: DriveResult = { durationMs: 0, granted: 0, refused: 0, units: 0, minRefused: undefined, latencies: [], timeline: new Timeline() };
  let next = 0;
  const started = performance.now();
  result.timeline.start(started);
  const buyer = async () => {
    while (next < qtys.length) {
      const qty = qtys[next++]!;
      const t = performance.now();
      const granted = await runner.hold(productId, qty);
      const end = performance.now();
      result.latencies.push(end - t);
      result.timeline.record(end);
      if (granted) {
        result.granted += 1;
        result.units += qty;
      } else {
        result.refused += 1;
        if (result.minRefused === undefined || qty < result.minRefused) result.minRefused = qty;
      }
      if (progress && result.latencies.length % 200 === 0) progress.update(result.latencies.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, qtys.length) }, buyer));
  result.durationMs = performance.now() - started;
  return result;
}

/** Oversell, undersell and storage agreement for one strategy's product. */
async function auditStrategy(opened: OpenedBenchDb, productId: number, stock: number, run: DriveResult): Promise<Invariant[]> {
  const product = await opened.store.getProduct(productId);
  const available = product?.availableStock ?? Number.NaN;
  const [row] = await opened.query<{ holds: number; units: number }>(
    'SELECT count(*) AS holds, coalesce(sum(qty), 0) AS units FROM holds WHERE product_id = ?',
    'SELECT count(*)::int AS holds, coalesce(sum(qty), 0)::int AS units FROM holds WHERE product_id = $1',
    [productId],
  );
  const stored = { holds: Number(row?.holds ?? 0), units: Number(row?.units ?? 0) };
  const oversell = run.units - stock;
  return [
    {
      name: 'no oversell',
      ok: oversell <= 0 && available >= 0,
      detail: oversell > 0 ? `granted ${run.units} units of ${stock} (oversold by ${oversell})` : `granted ${run.units} of ${stock} units; available ${available}`,
    },
    {
      name: 'no undersell',
      ok: run.minRefused === undefined || available < run.minRefused,
      detail:
        run.minRefused === undefined
          ? 'no request was refused'
          : available < run.minRefused
            ? `refused only when less than ${run.minRefused} was left (${available})`
            : `a request for ${run.minRefused} was refused while ${available} units were available`,
    },
    {
      name: 'every granted hold stored',
      ok: stored.holds === run.granted && stored.units === run.units && available === stock - run.units,
      detail: `${stored.holds} holds / ${stored.units} units stored, ${run.granted} / ${run.units} granted; available ${available} of ${stock}`,
    },
  ];
}

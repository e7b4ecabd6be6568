import type { DropReport, Invariant } from '../report/types.js';
import { round } from '../report/stats.js';
import type { OpenedBenchDb } from '../storage/bench-db.js';
import type { HoldPhaseResult } from './hold-phase.js';

/**
 * Drops: the checks and figures of a scheduled sale with a per-buyer limit (`--opens-in`,
 * `--buyers`, `--max-per-buyer`), each read from storage as well as from the answers.
 */

/** How the bench product was set up. */
export interface DropSetup {
  buyers: number | undefined;
  maxPerBuyer: number | undefined;
  /** When the sale opened (epoch ms), with `--opens-in`. */
  opensAt: number | undefined;
}

/** The share of store calls per request before the opening that the bench accepts. */
export const EARLY_CALLS_BOUND = 0.01;

/**
 * Each buyer's units of the product in storage, as the limit counts them: active holds, and the
 * pending and completed orders on the buyer's holds.
 */
export async function buyerUnits(opened: OpenedBenchDb, productId: number): Promise<Map<string, number>> {
  const where = `h.product_id = %P AND h.buyer_id IS NOT NULL AND (h.status = 'active' OR (h.status = 'converted' AND o.status IN ('pending', 'completed')))`;
  const query = (param: string, cast: string) =>
    `SELECT h.buyer_id AS buyer, SUM(h.qty)${cast} AS units FROM holds h LEFT JOIN orders o ON o.hold_id = h.id WHERE ${where.replace('%P', param)} GROUP BY h.buyer_id`;
  const rows = await opened.query<{ buyer: string; units: number | string }>(query('?', ''), query('$1', '::int'), [productId]);
  return new Map(rows.map((row) => [row.buyer, Number(row.units)]));
}

interface DropAuditInput {
  opened: OpenedBenchDb;
  productId: number;
  setup: DropSetup;
  hold: HoldPhaseResult;
  /** Units per buyer in storage right after the hold phase, and at the end of the run. */
  unitsAfterHolds: Map<string, number> | undefined;
  unitsAtEnd: Map<string, number> | undefined;
  /** reserveHolds store calls (all products) from the start of the stampede to the opening; undefined when /metrics was unreadable. */
  storeCallsBeforeOpening: number | undefined;
}

export async function auditDrop(input: DropAuditInput): Promise<Invariant[]> {
  const { setup, hold } = input;
  const invariants: Invariant[] = [];
  const check = (name: string, problems: string[], okDetail: string) => invariants.push({ name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : problems.slice(0, 5).join('; ') });

  if (setup.maxPerBuyer !== undefined) {
    const max = setup.maxPerBuyer;
    const over = (label: string, units: Map<string, number> | undefined) =>
      [...(units ?? new Map<string, number>())].filter(([, n]) => n > max).map(([buyer, n]) => `${buyer} has ${n} units ${label}`);
    const most = Math.max(0, ...(input.unitsAfterHolds ?? new Map()).values());
    check(
      `no buyer got more than ${max} units`,
      [...over('in storage after the stampede', input.unitsAfterHolds), ...over('in storage at the end', input.unitsAtEnd), ...over('by its 201s', hold.grantedByBuyer)],
      `${hold.grantedByBuyer.size} buyers got holds, the most any had ${most} of ${max} (storage after the stampede and at the end, and the 201s); ${hold.refusals.buyer_limit_exceeded ?? 0} requests refused buyer_limit_exceeded`,
    );
  }

  if (setup.opensAt !== undefined) {
    const opensAt = setup.opensAt;
    const [early] = await input.opened.query<{ n: number | string }>(
      'SELECT COUNT(*) AS n FROM holds WHERE product_id = ? AND created_at < ?',
      'SELECT COUNT(*)::int AS n FROM holds WHERE product_id = $1 AND created_at < $2',
      [input.productId, opensAt],
    );
    const grantedEarly = hold.holds.filter((h) => h.grantedAt < opensAt).length;
    const before = hold.refusals.sale_not_started ?? 0;
    check(
      'no hold before the opening',
      [...(Number(early?.n) > 0 ? [`${early!.n} holds in storage were created before the opening`] : []), ...(grantedEarly > 0 ? [`${grantedEarly} 201s arrived before the opening`] : [])],
      `${before} requests before the opening were refused sale_not_started; every hold was created at or after it`,
    );
    const calls = input.storeCallsBeforeOpening;
    const problems: string[] = [];
    if (before === 0) problems.push('no request arrived before the opening: give a longer --opens-in');
    if (calls === undefined) problems.push('the store calls before the opening are unknown (/metrics unreadable)');
    else if (before > 0 && calls / before >= EARLY_CALLS_BOUND) problems.push(`${calls} store calls for ${before} requests before the opening (${pct(calls / before)})`);
    check(
      `store calls before the opening < ${EARLY_CALLS_BOUND * 100}% of requests before it`,
      problems,
      `${calls} store calls (reserve transactions) for ${before} requests before the opening (${pct((calls ?? 0) / Math.max(1, before))})`,
    );
  }
  return invariants;
}

/** The drop's figures: what came before the opening, and how fast the stock went after it. */
export async function dropFigures(input: {
  opened: OpenedBenchDb;
  productId: number;
  setup: DropSetup;
  hold: HoldPhaseResult;
  storeCallsBeforeOpening: number | undefined;
  soldOut: boolean;
  baselineRps: number | undefined;
}): Promise<DropReport> {
  const { setup, hold } = input;
  const report: DropReport = { buyers: setup.buyers ?? null, max_per_buyer: setup.maxPerBuyer ?? null, opens_at: null };
  if (setup.opensAt === undefined) return report;
  const opensAt = setup.opensAt;
  const before = hold.refusals.sale_not_started ?? 0;
  const after = hold.answeredAt.filter((at) => at >= opensAt);
  const spanMs = after.length > 0 ? after.at(-1)! - opensAt : 0;
  const afterRps = spanMs > 0 ? (after.length / spanMs) * 1000 : 0;
  const [last] = await input.opened.query<{ at: number | string | null }>(
    'SELECT MAX(created_at) AS at FROM holds WHERE product_id = ?',
    'SELECT MAX(created_at)::bigint AS at FROM holds WHERE product_id = $1',
    [input.productId],
  );
  const lastHoldAfter = last?.at === null || last?.at === undefined ? null : Number(last.at) - opensAt;
  return {
    ...report,
    opens_at: new Date(opensAt).toISOString(),
    requests_before_opening: before,
    store_calls_before_opening: input.storeCallsBeforeOpening ?? null,
    calls_per_request_before_opening: input.storeCallsBeforeOpening === undefined || before === 0 ? null : round(input.storeCallsBeforeOpening / before, 5),
    requests_after_opening: after.length,
    holds_per_sec_after_opening: round(afterRps, 0),
    ...(input.baselineRps ? { baseline_ratio_after_opening: round(afterRps / input.baselineRps, 3) } : {}),
    last_hold_after_opening_ms: lastHoldAfter,
    sold_out_after_opening_ms: input.soldOut ? lastHoldAfter : null,
  };
}

function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

import type { FlashSale } from '@flashsale/core';
import type { Invariant } from '../report/types.js';
import type { OpenedBenchDb } from '../storage/bench-db.js';
import type { FlowResult } from './flow.js';
import type { HoldPhaseResult } from './hold-phase.js';

/** The name of the check that runs the engine's own audit, in both bench modes. */
export const VERIFY_CHECK = 'verify (inventory invariants)';

/** One product of the stampede, as the audit follows it. */
export interface AuditedProduct {
  productId: number;
  stock: number;
  /** Available stock the server reported right after the hold phase. */
  availableAfterHolds: number;
  /** The peak of units held or sold at once, from the buyers' answers (StockLedger). */
  peak: { units: number };
}

interface AuditInput {
  opened: OpenedBenchDb;
  engine: FlashSale;
  /** Every product of the stampede, each of `stock` units. */
  products: AuditedProduct[];
  hold: HoldPhaseResult;
  /** Whether any hold of this run could have expired (by its own clock) before the phase ended. */
  expiredDuringHolds: boolean;
  flow: FlowResult;
  /** Answers with status 5xx, or with no answer at all, in any phase. */
  serverErrors: string[];
  // Hold lifecycle.
  /** Units the server counted as given back by releases during the flow; undefined without /metrics. */
  releasedUnitsByServer: number | undefined;
}

/** A hold row as the audits read it. */
export interface HoldRow {
  id: number;
  product_id: number;
  qty: number;
  status: string;
}
/** An order row as the audits read it. */
export interface OrderRow {
  id: number;
  hold_id: number;
  product_id: number;
  qty: number;
  status: string;
  amount_cents: number;
  payment_deadline: number;
}

/**
 * Checks every invariant of issue 5 against what the buyers were told and what storage holds,
 * for every product of the stampede (each check holds only when it holds for each of them). Each
 * check names what broke, with the product and the first few ids, so a failing run says where to
 * look.
 */
export async function auditStampede(input: AuditInput): Promise<Invariant[]> {
  const { opened, products, hold, flow } = input;
  const ids = products.map((p) => p.productId);
  const holds = await opened.query<HoldRow>(
    `SELECT id, product_id, qty, status FROM holds WHERE product_id IN (${ids.map(() => '?').join(', ')})`,
    'SELECT id::int AS id, product_id::int AS product_id, qty::int AS qty, status FROM holds WHERE product_id = ANY ($1::bigint[])',
    opened.db.kind === 'postgres' ? [ids] : ids,
  );
  const orders = await opened.query<OrderRow>(
    `SELECT id, hold_id, product_id, qty, status, amount_cents, payment_deadline FROM orders WHERE product_id IN (${ids.map(() => '?').join(', ')})`,
    'SELECT id::int AS id, hold_id::int AS hold_id, product_id::int AS product_id, qty::int AS qty, status, amount_cents::float8 AS amount_cents, payment_deadline::float8 AS payment_deadline FROM orders WHERE product_id = ANY ($1::bigint[])',
    opened.db.kind === 'postgres' ? [ids] : ids,
  );
  const holdById = new Map(holds.map((h) => [Number(h.id), h]));
  const orderById = new Map(orders.map((o) => [Number(o.id), o]));
  const many = products.length > 1;
  // Problems of one product are named with it when there are several.
  const of = (productId: number, problem: string) => (many ? `product ${productId}: ${problem}` : problem);
  const available = new Map<number, number>();
  for (const p of products) available.set(p.productId, (await opened.store.getProduct(p.productId))?.availableStock ?? Number.NaN);
  const invariants: Invariant[] = [];
  const check = (name: string, problems: string[], okDetail: string) =>
    invariants.push({ name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : describe(problems) });
  const totalStock = products.reduce((sum, p) => sum + p.stock, 0);
  const totalAvailable = [...available.values()].reduce((sum, n) => sum + n, 0);
  const grantedOf = new Map<number, number>();
  for (const h of hold.holds) grantedOf.set(h.productId, (grantedOf.get(h.productId) ?? 0) + h.qty);
  const granted = hold.holds.reduce((sum, h) => sum + h.qty, 0);

  // No oversell: what was out never exceeded the stock, and stock never went negative.
  const overProblems: string[] = [];
  for (const p of products) {
    const left = available.get(p.productId)!;
    if (p.peak.units > p.stock) overProblems.push(of(p.productId, `${p.peak.units} units were held or sold at once, but the stock was ${p.stock} (oversold by ${p.peak.units - p.stock})`));
    if (left < 0) overProblems.push(of(p.productId, `available stock is ${left}`));
    if (p.availableAfterHolds < 0) overProblems.push(of(p.productId, `available stock was ${p.availableAfterHolds} after the stampede`));
  }
  const peakMax = Math.max(...products.map((p) => p.peak.units));
  check(
    'no oversell',
    overProblems,
    many
      ? `${products.length} products of ${products[0]!.stock} units: the highest peak ${peakMax} units held or sold; final available ${totalAvailable} in all`
      : `peak ${products[0]!.peak.units} of ${products[0]!.stock} units held or sold; final available ${totalAvailable}`,
  );

  // No undersell: a refused request must not have fit in the stock left when the stampede ended.
  const underProblems: string[] = [];
  let refusedProducts = 0;
  for (const p of products) {
    const minRefused = hold.minRefusedQty.get(p.productId);
    if (minRefused === undefined || input.expiredDuringHolds) continue;
    refusedProducts += 1;
    if (p.availableAfterHolds >= minRefused) underProblems.push(of(p.productId, `a request for ${minRefused} was refused, yet ${p.availableAfterHolds} units were still available after the stampede`));
    const units = grantedOf.get(p.productId) ?? 0;
    if (units + p.availableAfterHolds !== p.stock) underProblems.push(of(p.productId, `granted ${units} + available ${p.availableAfterHolds} != stock ${p.stock}`));
  }
  const leftAfter = products.reduce((sum, p) => sum + p.availableAfterHolds, 0);
  const smallest = Math.min(...[...hold.minRefusedQty.values()]);
  check(
    'no undersell',
    underProblems,
    hold.minRefusedQty.size === 0
      ? `demand never exceeded supply: no request was refused for stock (${hold.holds.length} granted)`
      : many
        ? `${granted} of ${totalStock} units found a buyer; on each of the ${refusedProducts} products that refused a request for stock, less was left than its smallest refused request`
        : `${granted} of ${totalStock} units found a buyer; ${leftAfter} left, less than the smallest refused request (${smallest})`,
  );

  // Every 201 hold exists, for its product and qty; no hold exists that no 201 named.
  const holdProblems = [...hold.malformed.map((body) => `a 201 did not name the requested hold: ${body}`)];
  for (const h of hold.holds) {
    const row = holdById.get(h.holdId);
    if (!row) holdProblems.push(of(h.productId, `hold ${h.holdId} answered 201 but is not in storage`));
    else if (Number(row.qty) !== h.qty || Number(row.product_id) !== h.productId) holdProblems.push(of(h.productId, `hold ${h.holdId} is qty ${row.qty} of product ${row.product_id} in storage, ${h.qty} of product ${h.productId} in its 201`));
  }
  const named = new Set(hold.holds.map((h) => h.holdId));
  const phantoms = holds.filter((row) => !named.has(Number(row.id)));
  if (phantoms.length > 0 && hold.load.errors === 0) {
    holdProblems.push(`${phantoms.length} holds are in storage that no 201 named (e.g. ${phantoms.slice(0, 3).map((p) => `${p.id} of product ${p.product_id}`).join(', ')})`);
  }
  check('every 201 hold exists', holdProblems, `${hold.holds.length} holds answered 201, all in storage`);

  // Every 201 order exists, on its hold; ordered holds are converted, the rest expired.
  const orderProblems: string[] = [];
  for (const buyer of flow.buyers) {
    const row = holdById.get(buyer.hold.holdId);
    if (buyer.orderId === undefined) {
      const wanted = buyer.released ? 'released' : 'expired';
      if (row && row.status !== wanted) orderProblems.push(of(buyer.hold.productId, `${buyer.released ? 'released' : 'abandoned'} hold ${buyer.hold.holdId} is ${row.status}, not ${wanted}`));
      continue;
    }
    const order = orderById.get(buyer.orderId);
    if (!order) orderProblems.push(of(buyer.hold.productId, `order ${buyer.orderId} answered 201 but is not in storage`));
    else if (Number(order.hold_id) !== buyer.hold.holdId || Number(order.qty) !== buyer.hold.qty || Number(order.product_id) !== buyer.hold.productId) {
      orderProblems.push(of(buyer.hold.productId, `order ${buyer.orderId} is on hold ${order.hold_id} qty ${order.qty}, not hold ${buyer.hold.holdId} qty ${buyer.hold.qty}`));
    }
    if (row && row.status !== 'converted') orderProblems.push(of(buyer.hold.productId, `hold ${buyer.hold.holdId} carries order ${buyer.orderId} but is ${row.status}`));
  }
  for (const p of products) {
    const stored = orders.filter((o) => Number(o.product_id) === p.productId).length;
    const answered = flow.buyers.filter((b) => b.orderId !== undefined && b.hold.productId === p.productId).length;
    if (stored !== answered) orderProblems.push(of(p.productId, `${stored} orders in storage, ${answered} answered 201`));
  }
  check('every 201 order exists', orderProblems, `${flow.summary.ordered} orders answered 201, all in storage on their holds`);

  // Every paid order is completed (exactly once: one order per hold, stock taken once).
  const paidProblems: string[] = [];
  const soldOf = new Map<number, number>();
  for (const buyer of flow.buyers) {
    if (buyer.orderId === undefined) continue;
    const status = orderById.get(buyer.orderId)?.status;
    const wanted = expectedStatus(buyer.fate, buyer.finalOrderStatus);
    if (status !== wanted) paidProblems.push(of(buyer.hold.productId, `order ${buyer.orderId} (${buyer.fate}) is ${status ?? 'missing'}, expected ${wanted}`));
    if (wanted === 'completed') soldOf.set(buyer.hold.productId, (soldOf.get(buyer.hold.productId) ?? 0) + buyer.hold.qty);
  }
  check('every paid order completed exactly once', paidProblems, `${flow.summary.paid + flow.summary.late_paid} paid orders, each completed once`);

  // Every failed, abandoned or unpaid unit is back in stock, exactly once.
  const backProblems: string[] = [];
  for (const p of products) {
    const sold = soldOf.get(p.productId) ?? 0;
    const left = available.get(p.productId)!;
    if (left !== p.stock - sold) backProblems.push(of(p.productId, `available stock is ${left}, expected ${p.stock - sold} (stock ${p.stock} - ${sold} sold)`));
  }
  const completedUnits = [...soldOf.values()].reduce((sum, n) => sum + n, 0);
  check(
    'every failed or abandoned unit back in stock exactly once',
    backProblems,
    many ? `on each of the ${products.length} products, available = stock - units sold (${totalAvailable} = ${totalStock} - ${completedUnits} in all)` : `available ${totalAvailable} = stock ${totalStock} - ${completedUnits} sold`,
  );

  // Hold lifecycle: every release gave its units back once, and every order read told the truth.
  const releasers = flow.buyers.filter((b) => b.released);
  const releasedUnits = releasers.reduce((sum, b) => sum + b.hold.qty, 0);
  const releasedRows = holds.filter((h) => h.status === 'released');
  const releaseProblems: string[] = [];
  const releasedIds = new Set(releasers.map((b) => b.hold.holdId));
  for (const row of releasedRows) if (!releasedIds.has(Number(row.id))) releaseProblems.push(of(Number(row.product_id), `hold ${row.id} is released in storage, but no release of it answered 200`));
  const storedUnits = releasedRows.reduce((sum, h) => sum + Number(h.qty), 0);
  if (storedUnits !== releasedUnits) releaseProblems.push(`released holds in storage carry ${storedUnits} units, the ${releasers.length} answered releases ${releasedUnits}`);
  if (input.releasedUnitsByServer !== undefined && input.releasedUnitsByServer !== releasedUnits) {
    releaseProblems.push(`the server gave back ${input.releasedUnitsByServer} units for releases (flashsale_stock_released_units_total{cause="released"}), the answered releases hold ${releasedUnits}`);
  }
  check(
    'every release returned its units exactly once',
    releaseProblems,
    `${releasers.length} releases (${flow.summary.repeated_releases} sent twice at once): ${releasedUnits} units, as many released holds in storage${input.releasedUnitsByServer === undefined ? '' : ' and in the server\'s count'}`,
  );

  const readProblems: string[] = [];
  for (const buyer of flow.buyers) {
    if (buyer.orderId === undefined) continue;
    const order = orderById.get(buyer.orderId);
    const read = buyer.lastOrderRead;
    if (!order || !read) continue; // a missing order or read is reported above
    const expected = {
      order_id: buyer.orderId,
      hold_id: Number(order.hold_id),
      qty: Number(order.qty),
      status: order.status,
      amount: (Number(order.amount_cents) / 100).toFixed(2),
      payment_deadline: new Date(Number(order.payment_deadline)).toISOString(),
    };
    const differs = (Object.keys(expected) as (keyof typeof expected)[]).filter((field) => read[field] !== expected[field]);
    if (differs.length > 0) readProblems.push(`order ${buyer.orderId} read ${differs.map((f) => `${f} ${JSON.stringify(read[f])}`).join(', ')}; storage has ${differs.map((f) => JSON.stringify(expected[f])).join(', ')}`);
  }
  check(
    'every order read agrees with the final state',
    readProblems,
    `${flow.summary.order_reads} reads of ${flow.summary.ordered} orders with their hold's token: each page saw its webhook land, each last read matches storage`,
  );

  check('API answers as specified', flow.contract, 'every flow answer had the status the API promises');
  check('no server errors', input.serverErrors, 'no 5xx and no request left unanswered');

  const report = await input.engine.verify();
  check(VERIFY_CHECK, report.violations.map((v) => `${v.rule}: ${v.detail}`), `conservation holds for all ${report.products} products`);
  return invariants;
}

function expectedStatus(fate: string, answered: string | undefined): string {
  switch (fate) {
    case 'paid':
      return 'completed';
    case 'failed':
      return 'failed';
    case 'unpaid':
      return 'expired';
    default:
      // A late payment completes when the stock could be taken again, else the buyer is owed a refund.
      return answered === 'refund_due' ? 'refund_due' : 'completed';
  }
}

function describe(problems: string[]): string {
  const shown = problems.slice(0, 5).join('; ');
  return problems.length > 5 ? `${shown}; and ${problems.length - 5} more` : shown;
}

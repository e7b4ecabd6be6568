import type { FlashSale } from '@flashsale/core';
import type { Invariant } from '../report/types.js';
import type { OpenedBenchDb } from '../storage/bench-db.js';
import type { FlowResult } from './flow.js';
import type { HoldPhaseResult } from './hold-phase.js';

/** The name of the check that runs the engine's own audit, in both bench modes. */
export const VERIFY_CHECK = 'verify (inventory invariants)';

interface AuditInput {
  opened: OpenedBenchDb;
  engine: FlashSale;
  productId: number;
  stock: number;
  hold: HoldPhaseResult;
  /** Available stock the server reported right after the hold phase. */
  availableAfterHolds: number;
  /** Whether any hold of this run could have expired (by its own clock) before the phase ended. */
  expiredDuringHolds: boolean;
  peak: { units: number };
  flow: FlowResult;
  /** Answers with status 5xx, or with no answer at all, in any phase. */
  serverErrors: string[];
  // Hold lifecycle.
  /** Units the server counted as given back by releases during the flow; undefined without /metrics. */
  releasedUnitsByServer: number | undefined;
}

interface HoldRow {
  id: number;
  qty: number;
  status: string;
}
interface OrderRow {
  id: number;
  hold_id: number;
  qty: number;
  status: string;
  amount_cents: number;
  payment_deadline: number;
}

/**
 * Checks every invariant of issue 5 against what the buyers were told and what storage holds.
 * Each check names what broke, with the first few ids, so a failing run says where to look.
 */
export async function auditStampede(input: AuditInput): Promise<Invariant[]> {
  const { opened, productId, stock, hold, flow } = input;
  const holds = await opened.query<HoldRow>(
    'SELECT id, qty, status FROM holds WHERE product_id = ?',
    'SELECT id::int AS id, qty::int AS qty, status FROM holds WHERE product_id = $1',
    [productId],
  );
  const orders = await opened.query<OrderRow>(
    'SELECT id, hold_id, qty, status, amount_cents, payment_deadline FROM orders WHERE product_id = ?',
    'SELECT id::int AS id, hold_id::int AS hold_id, qty::int AS qty, status, amount_cents::float8 AS amount_cents, payment_deadline::float8 AS payment_deadline FROM orders WHERE product_id = $1',
    [productId],
  );
  const product = await opened.store.getProduct(productId);
  const available = product?.availableStock ?? Number.NaN;
  const holdById = new Map(holds.map((h) => [Number(h.id), h]));
  const orderById = new Map(orders.map((o) => [Number(o.id), o]));
  const invariants: Invariant[] = [];
  const check = (name: string, problems: string[], okDetail: string) =>
    invariants.push({ name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : describe(problems) });

  // No oversell: what was out never exceeded the stock, and stock never went negative.
  const granted = hold.holds.reduce((sum, h) => sum + h.qty, 0);
  check(
    'no oversell',
    [
      ...(input.peak.units > stock ? [`${input.peak.units} units were held or sold at once, but the stock was ${stock} (oversold by ${input.peak.units - stock})`] : []),
      ...(available < 0 ? [`available stock is ${available}`] : []),
      ...(input.availableAfterHolds < 0 ? [`available stock was ${input.availableAfterHolds} after the stampede`] : []),
    ],
    `peak ${input.peak.units} of ${stock} units held or sold; final available ${available}`,
  );

  // No undersell: a refused request must not have fit in the stock left when the stampede ended.
  const underProblems: string[] = [];
  if (hold.minRefusedQty !== undefined && !input.expiredDuringHolds && input.availableAfterHolds >= hold.minRefusedQty) {
    underProblems.push(`a request for ${hold.minRefusedQty} was refused, yet ${input.availableAfterHolds} units were still available after the stampede`);
  }
  if (hold.minRefusedQty !== undefined && !input.expiredDuringHolds && granted + input.availableAfterHolds !== stock) {
    underProblems.push(`granted ${granted} + available ${input.availableAfterHolds} != stock ${stock}`);
  }
  check(
    'no undersell',
    underProblems,
    hold.minRefusedQty === undefined
      ? `demand never exceeded supply: no request was refused for stock (${hold.holds.length} granted)`
      : `${granted} of ${stock} units found a buyer; ${input.availableAfterHolds} left, less than the smallest refused request (${hold.minRefusedQty})`,
  );

  // Every 201 hold exists, for this product and qty; no hold exists that no 201 named.
  const holdProblems = [...hold.malformed.map((body) => `a 201 did not name the requested hold: ${body}`)];
  for (const h of hold.holds) {
    const row = holdById.get(h.holdId);
    if (!row) holdProblems.push(`hold ${h.holdId} answered 201 but is not in storage`);
    else if (Number(row.qty) !== h.qty) holdProblems.push(`hold ${h.holdId} has qty ${row.qty} in storage, ${h.qty} in its 201`);
  }
  const named = new Set(hold.holds.map((h) => h.holdId));
  const phantoms = holds.filter((row) => !named.has(Number(row.id)));
  if (phantoms.length > 0 && hold.load.errors === 0) {
    holdProblems.push(`${phantoms.length} holds are in storage that no 201 named (e.g. ${phantoms.slice(0, 3).map((p) => p.id).join(', ')})`);
  }
  check('every 201 hold exists', holdProblems, `${hold.holds.length} holds answered 201, all in storage`);

  // Every 201 order exists, on its hold; ordered holds are converted, the rest expired.
  const orderProblems: string[] = [];
  for (const buyer of flow.buyers) {
    const row = holdById.get(buyer.hold.holdId);
    if (buyer.orderId === undefined) {
      const wanted = buyer.released ? 'released' : 'expired';
      if (row && row.status !== wanted) orderProblems.push(`${buyer.released ? 'released' : 'abandoned'} hold ${buyer.hold.holdId} is ${row.status}, not ${wanted}`);
      continue;
    }
    const order = orderById.get(buyer.orderId);
    if (!order) orderProblems.push(`order ${buyer.orderId} answered 201 but is not in storage`);
    else if (Number(order.hold_id) !== buyer.hold.holdId || Number(order.qty) !== buyer.hold.qty) {
      orderProblems.push(`order ${buyer.orderId} is on hold ${order.hold_id} qty ${order.qty}, not hold ${buyer.hold.holdId} qty ${buyer.hold.qty}`);
    }
    if (row && row.status !== 'converted') orderProblems.push(`hold ${buyer.hold.holdId} carries order ${buyer.orderId} but is ${row.status}`);
  }
  if (orders.length !== flow.summary.ordered) orderProblems.push(`${orders.length} orders in storage, ${flow.summary.ordered} answered 201`);
  check('every 201 order exists', orderProblems, `${flow.summary.ordered} orders answered 201, all in storage on their holds`);

  // Every paid order is completed (exactly once: one order per hold, stock taken once).
  const paidProblems: string[] = [];
  let completedUnits = 0;
  for (const buyer of flow.buyers) {
    if (buyer.orderId === undefined) continue;
    const status = orderById.get(buyer.orderId)?.status;
    const wanted = expectedStatus(buyer.fate, buyer.finalOrderStatus);
    if (status !== wanted) paidProblems.push(`order ${buyer.orderId} (${buyer.fate}) is ${status ?? 'missing'}, expected ${wanted}`);
    if (wanted === 'completed') completedUnits += buyer.hold.qty;
  }
  check('every paid order completed exactly once', paidProblems, `${flow.summary.paid + flow.summary.late_paid} paid orders, each completed once`);

  // Every failed, abandoned or unpaid unit is back in stock, exactly once.
  const expectedAvailable = stock - completedUnits;
  check(
    'every failed or abandoned unit back in stock exactly once',
    available === expectedAvailable ? [] : [`available stock is ${available}, expected ${expectedAvailable} (stock ${stock} - ${completedUnits} sold)`],
    `available ${available} = stock ${stock} - ${completedUnits} sold`,
  );

  // Hold lifecycle: every release gave its units back once, and every order read told the truth.
  const releasers = flow.buyers.filter((b) => b.released);
  const releasedUnits = releasers.reduce((sum, b) => sum + b.hold.qty, 0);
  const releasedRows = holds.filter((h) => h.status === 'released');
  const releaseProblems: string[] = [];
  const releasedIds = new Set(releasers.map((b) => b.hold.holdId));
  for (const row of releasedRows) if (!releasedIds.has(Number(row.id))) releaseProblems.push(`hold ${row.id} is released in storage, but no release of it answered 200`);
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

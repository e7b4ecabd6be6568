import {
  storedAnswer,
  type ApplyPaymentRequest,
  type CreateOrderOutcome,
  type CreateOrderRequest,
  type GroupProgress,
  type IdempotencyKey,
  type PaymentEffect,
  type PaymentOutcome,
  type Replayable,
  type UnitSettlement,
} from '@flashsale/core';
import { inSavepoints, type Executor, type GroupedTransactions, type GroupTransaction, type Query } from './executor.js';
import { finishKeys, type KeyAnswer } from './idempotency-records.js';
import { applyPayment } from './operations/apply-payment.js';
import { createOrder } from './operations/create-order.js';
import { toOrder, type OrderRow } from './rows.js';
import { translatePgError } from './pg-errors.js';
import { sql } from './statement.js';

/** A write of the checkout wave, waiting for its group. */
type CheckoutUnit =
  | { kind: 'order'; request: CreateOrderRequest }
  | { kind: 'payment'; request: ApplyPaymentRequest }
  /** Any other write (a release, an extension): a transaction body, run in a savepoint. */
  | { kind: 'body'; body: (query: Query) => Promise<unknown>; at: number | undefined };

/** The write use cases of the checkout wave, as the store exposes them. */
export interface CheckoutWrites {
  createOrder(request: CreateOrderRequest): Promise<Replayable<CreateOrderOutcome>>;
  applyPayment(request: ApplyPaymentRequest): Promise<Replayable<PaymentOutcome>>;
  /** Transactions for the other writes (release, extend), in the same groups, stamping their events with `now`. */
  transactionsAt(now: number | undefined): GroupedTransactions;
}

const CHECKOUT_UNITS = sql(
  'checkout-units',
  `SELECT * FROM checkout_units($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[])`,
);

interface UnitRow {
  ord: number;
  result: 'done' | 'replay' | 'replay_of' | 'left' | 'error';
  code: string | null;
  effect: PaymentEffect | null;
  o_id: string | null;
  o_hold_id: string;
  o_product_id: string;
  o_qty: string;
  o_amount_cents: string;
  o_status: OrderRow['status'];
  o_created_at: string;
  o_payment_deadline: string;
  o_txn_id: string | null;
  fingerprint: string | null;
  body: string | null;
  replay_of: number | null;
  message: string | null;
}

/**
 * Group commit of the checkout wave on PostgreSQL. The writes that arrive together share one
 * transaction, in arrival order. A run of orders and payments goes to the database in ONE
 * statement (`checkout_units()`, migration 000006), which runs each as its own subtransaction
 * with the core's rules, so a group of 48 costs a handful of round trips instead of four or five
 * per write; the stored answers of its keys follow in one more. Releases and extensions run as
 * their usual transaction bodies, each in a savepoint. Off (`groupCommit: false`): each write is
 * its own transaction.
 */
export function checkoutWrites(ex: Executor, options: { groupCommit: boolean; maxInFlight: number }): CheckoutWrites {
  if (!options.groupCommit) {
    return {
      createOrder: (request) => createOrder(ex.at(request.now), request),
      applyPayment: (request) => applyPayment(ex.at(request.now), request),
      transactionsAt: (now) => ex.at(now),
    };
  }
  const run = ex.groupCommit<CheckoutUnit>(options.maxInFlight, {
    together: runTogether,
    alone: (unit) => {
      // Each unit brings its own event time.
      const stamped = ex.at(eventTimeOf(unit));
      if (unit.kind === 'order') return createOrder(stamped, unit.request);
      if (unit.kind === 'payment') return applyPayment(stamped, unit.request);
      return stamped.transaction(unit.body);
    },
    eventTime: (units) => Math.max(...units.map((unit) => eventTimeOf(unit) ?? Number.NEGATIVE_INFINITY)),
  });
  return {
    createOrder: (request) => run({ kind: 'order', request }) as Promise<Replayable<CreateOrderOutcome>>,
    applyPayment: (request) => run({ kind: 'payment', request }) as Promise<Replayable<PaymentOutcome>>,
    transactionsAt: (at) => ({ transaction: <T>(body: (query: Query) => Promise<T>) => run({ kind: 'body', body, at }) as Promise<T> }),
  };
}

/** Events for the merchant: the time a unit's events are stamped with. */
function eventTimeOf(unit: CheckoutUnit): number | undefined {
  return unit.kind === 'body' ? unit.at : unit.request.now;
}

/** Runs each stretch of orders and payments in one statement and each other write in a savepoint. */
async function runTogether(tx: GroupTransaction, units: readonly CheckoutUnit[]): Promise<GroupProgress> {
  const done: UnitSettlement<unknown>[] = [];
  let start = 0;
  while (start < units.length) {
    const isBody = units[start]!.kind === 'body';
    let end = start;
    while (end < units.length && (units[end]!.kind === 'body') === isBody) end++;
    const stretch = units.slice(start, end);
    const progress = isBody
      ? await inSavepoints(tx, stretch.map((unit) => (unit as Extract<CheckoutUnit, { kind: 'body' }>).body))
      : await ordersAndPayments(tx, stretch as Exclude<CheckoutUnit, { kind: 'body' }>[]);
    done.push(...progress.done);
    if (progress.leftAt !== undefined) return { done, leftAt: start + progress.leftAt };
    start = end;
  }
  return { done };
}

type KeyedUnit = Exclude<CheckoutUnit, { kind: 'body' }>;

async function ordersAndPayments(tx: GroupTransaction, units: readonly KeyedUnit[]): Promise<GroupProgress> {
  const keyOf = (unit: KeyedUnit): IdempotencyKey | undefined => unit.request.idempotency;
  const { rows } = await tx.query<UnitRow>(CHECKOUT_UNITS, [
    units.map((u) => u.kind),
    units.map((u) => (u.kind === 'order' ? u.request.holdId : u.request.orderId)),
    units.map((u) => (u.kind === 'order' ? u.request.tokenHash : null)),
    units.map((u) => (u.kind === 'payment' ? u.request.status : null)),
    units.map((u) => (u.kind === 'payment' ? u.request.txnId : null)),
    units.map((u) => u.request.now),
    units.map((u) => (u.kind === 'order' ? u.request.paymentDeadline : null)),
    units.map((u) => keyOf(u)?.scope ?? null),
    units.map((u) => keyOf(u)?.keyHash ?? null),
    units.map((u) => keyOf(u)?.fingerprint ?? null),
  ]);
  const done: UnitSettlement<unknown>[] = [];
  const bodies: (string | undefined)[] = [];
  const answers: KeyAnswer[] = [];
  let leftAt: number | undefined;
  for (const row of rows) {
    const i = row.ord - 1;
    const unit = units[i]!;
    if (row.result === 'left') {
      leftAt = i;
      break;
    }
    if (row.result === 'error') {
      done.push({ ok: false, error: translatePgError(Object.assign(new Error(row.message ?? 'checkout unit failed'), { code: row.code })) });
      continue;
    }
    if (row.result === 'replay') {
      done.push({ ok: true, value: { kind: 'replay', fingerprint: row.fingerprint!, body: row.body! } });
      continue;
    }
    if (row.result === 'replay_of') {
      const first = row.replay_of! - 1;
      done.push({ ok: true, value: { kind: 'replay', fingerprint: keyOf(units[first]!)!.fingerprint, body: bodies[first]! } });
      continue;
    }
    const outcome = unit.kind === 'order' ? orderOutcome(row) : paymentOutcome(row);
    const write = keyOf(unit);
    const body = write ? storedAnswer(write, outcome) : undefined;
    bodies[i] = body;
    // Refusals the core does not remember were dropped by the function already.
    if (write && body !== undefined) answers.push({ scope: write.scope, keyHash: write.keyHash, fingerprint: write.fingerprint, body });
    done.push({ ok: true, value: { kind: 'done', outcome } });
  }
  if (leftAt === undefined && rows.length !== units.length) throw new Error(`checkout_units answered ${rows.length} rows for ${units.length} units`);
  await finishKeys(tx.query, answers);
  return leftAt === undefined ? { done } : { done, leftAt };
}

function orderOf(row: UnitRow) {
  return toOrder({
    id: row.o_id!,
    hold_id: row.o_hold_id,
    product_id: row.o_product_id,
    qty: row.o_qty,
    amount_cents: row.o_amount_cents,
    status: row.o_status,
    created_at: row.o_created_at,
    payment_deadline: row.o_payment_deadline,
    txn_id: row.o_txn_id,
  });
}

function orderOutcome(row: UnitRow): CreateOrderOutcome {
  if (row.code !== null) return { kind: 'refused', code: row.code as Extract<CreateOrderOutcome, { kind: 'refused' }>['code'] };
  return { kind: 'created', order: orderOf(row) };
}

function paymentOutcome(row: UnitRow): PaymentOutcome {
  if (row.code === 'order_not_found') return { kind: 'refused', code: 'order_not_found' };
  if (row.code === 'payment_conflict') return { kind: 'refused', code: 'payment_conflict', order: orderOf(row) };
  return { kind: 'applied', order: orderOf(row), effect: row.effect! };
}


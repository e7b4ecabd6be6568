import { refusal, success, type Answer } from './answers.js';

/**
 * A second, deliberately naive implementation of the rules of docs/model.md: plain maps in memory, one
 * request at a time, nothing shared with the engine's rules, validation or money code. The
 * model-based tests run the same random history against it and against the engine on a real
 * store; any difference in an answer or in the stock is a bug in one of the two.
 */

export interface ModelSettings {
  holdTtlMs: number;
  paymentTtlMs: number;
  idempotencyTtlMs: number;
  maxHoldQty: number;
  // Hold lifecycle: the latest an extension may move a hold's expiry to, from its creation.
  holdMaxLifetimeMs: number;
}

type Scope = 'hold' | 'order' | 'payment';

interface ModelState {
  now: number;
  nextId: { product: number; hold: number; order: number };
  products: Map<number, { id: number; name: string; priceCents: number; available: number; initial: number; restocked: number } & Drop>;
  holds: Map<number, ModelHold>;
  orders: Map<number, ModelOrder>;
  /** Remembered answers per scope and raw key, with the request they answered. */
  keys: Record<Scope, Map<string, { request: string; answer: Answer; at: number }>>;
}

interface ModelHold {
  id: number;
  productId: number;
  qty: number;
  token: string;
  status: 'active' | 'converted' | 'expired' | 'released';
  expiresAt: number;
  // Hold lifecycle: when it was made (extensions count from it), and the order it became.
  createdAt: number;
  orderId?: number;
  // Drops: the buyer it names.
  buyer?: string;
}

interface ModelOrder {
  id: number;
  productId: number;
  qty: number;
  status: 'pending' | 'completed' | 'failed' | 'expired' | 'refund_due';
  deadline: number;
  // Hold lifecycle: for reading the order with its hold's token.
  holdId: number;
  amountCents: number;
  // Drops: the buyer of its hold.
  buyer?: string;
}

// Drops: a product's sale window and per-buyer limit, null when unset.
interface Drop {
  startsAt: number | null;
  endsAt: number | null;
  maxPerBuyer: number | null;
}

/** The changes of a drop set-up: absent keeps, null clears. */
export interface DropChanges {
  startsAt?: unknown;
  endsAt?: unknown;
  maxPerBuyer?: unknown;
}

export interface ProductTotals {
  initialStock: number;
  restocked: number;
  available: number;
  activeHoldQty: number;
  pendingOrderQty: number;
  completedOrderQty: number;
}

export class ReferenceModel {
  readonly settings: ModelSettings;
  #s: ModelState;

  constructor(settings: ModelSettings, now: number, state?: ModelState) {
    this.settings = settings;
    this.#s = state ?? {
      now,
      nextId: { product: 1, hold: 1, order: 1 },
      products: new Map(),
      holds: new Map(),
      orders: new Map(),
      keys: { hold: new Map(), order: new Map(), payment: new Map() },
    };
  }

  /** An independent copy, for trying one serial order of a concurrent batch. */
  clone(): ReferenceModel {
    return new ReferenceModel(this.settings, this.#s.now, structuredClone(this.#s));
  }

  get now(): number {
    return this.#s.now;
  }

  advance(ms: number): void {
    this.#s.now += ms;
  }

  /** The nearest future moment at which a hold, an order or a remembered key runs out. */
  nextDeadline(): number | undefined {
    const s = this.#s;
    const moments = [
      ...[...s.holds.values()].filter((h) => h.status === 'active').map((h) => h.expiresAt),
      ...[...s.orders.values()].filter((o) => o.status === 'pending').map((o) => o.deadline),
      ...Object.values(s.keys).flatMap((records) => [...records.values()].map((r) => r.at + this.settings.idempotencyTtlMs + 1)),
    ].filter((at) => at > s.now);
    return moments.length ? Math.min(...moments) : undefined;
  }

  createProduct(name: string, priceCents: number, stock: number): Answer {
    const id = this.#s.nextId.product++;
    this.#s.products.set(id, { id, name, priceCents, available: stock, initial: stock, restocked: 0, startsAt: null, endsAt: null, maxPerBuyer: null });
    return this.getProduct(id);
  }

  getProduct(id: unknown): Answer {
    if (!isId(id)) return refusal('invalid_input');
    const p = this.#s.products.get(id);
    if (!p) return refusal('product_not_found');
    const status = p.startsAt !== null && this.#s.now < p.startsAt ? 'scheduled' : p.endsAt !== null && this.#s.now >= p.endsAt ? 'ended' : 'live';
    return success('product', {
      id,
      name: p.name,
      priceCents: p.priceCents,
      price: money(p.priceCents),
      availableStock: p.available,
      saleStartsAt: p.startsAt,
      saleEndsAt: p.endsAt,
      maxPerBuyer: p.maxPerBuyer,
      saleStatus: status,
    });
  }

  // Drops: set a window and a limit, find the next edge of a window, count a buyer's units.
  /** Changes a product's window and limit; a window that would end at or before its start changes nothing. */
  setDrop(productId: unknown, changes: DropChanges): Answer {
    const instant = (v: unknown) => v === null || isWhole(v, 0, 8_640_000_000_000_000);
    const limitOk = (v: unknown) => v === null || isWhole(v, 1, 1_000_000_000);
    const given = (Object.keys(changes) as (keyof DropChanges)[]).filter((k) => changes[k] !== undefined);
    if (!isId(productId) || !given.every((k) => (k === 'maxPerBuyer' ? limitOk : instant)(changes[k]))) return refusal('invalid_input');
    const p = this.#s.products.get(productId);
    if (!p) return refusal('product_not_found');
    const next: Drop = { startsAt: p.startsAt, endsAt: p.endsAt, maxPerBuyer: p.maxPerBuyer };
    for (const k of given) next[k] = changes[k] as number | null;
    if (next.startsAt !== null && next.endsAt !== null && next.endsAt <= next.startsAt) return refusal('invalid_sale_window');
    Object.assign(p, next);
    return this.getProduct(productId);
  }

  /** The nearest future instant at which some product's sale opens or ends. */
  nextSaleEdge(): number | undefined {
    const edges = [...this.#s.products.values()].flatMap((p) => [p.startsAt, p.endsAt]).filter((at): at is number => at !== null && at > this.#s.now);
    return edges.length ? Math.min(...edges) : undefined;
  }

  /** Units a buyer has of a product: active holds, pending and completed orders. */
  #unitsOf(productId: number, buyer: string): number {
    const rows = [...[...this.#s.holds.values()].filter((h) => h.status === 'active'), ...[...this.#s.orders.values()].filter((o) => o.status === 'pending' || o.status === 'completed')];
    return rows.filter((r) => r.productId === productId && r.buyer === buyer).reduce((n, r) => n + r.qty, 0);
  }

  restock(productId: unknown, qty: unknown): Answer {
    if (!isId(productId) || !isWhole(qty, 1, 1_000_000_000)) return refusal('invalid_input');
    const p = this.#s.products.get(productId);
    if (!p) return refusal('product_not_found');
    p.available += qty;
    p.restocked += qty;
    return this.getProduct(productId);
  }

  /** `issuedToken` is the secret a new hold gets (the engine makes it at random; the model cannot). */
  createHold(input: { productId: unknown; qty: unknown; key?: string; buyer?: unknown }, issuedToken: string): Answer {
    const { productId, qty, key, buyer } = input;
    if (!isId(productId) || !isWhole(qty, 1, this.settings.maxHoldQty) || !validKey(key, true) || !(buyer === undefined || validBuyer(buyer))) return refusal('invalid_input');
    return this.#keyed('hold', key, JSON.stringify(buyer === undefined ? [productId, qty] : [productId, qty, buyer]), () => {
      const p = this.#s.products.get(productId);
      if (!p) return refusal('product_not_found');
      // Drops: the window, then the buyer, then the limit, all before the stock.
      if (p.startsAt !== null && this.#s.now < p.startsAt) return refusal('sale_not_started');
      if (p.endsAt !== null && this.#s.now >= p.endsAt) return refusal('sale_ended');
      if (p.maxPerBuyer !== null && buyer === undefined) return refusal('buyer_required');
      if (p.maxPerBuyer !== null && this.#unitsOf(productId, buyer as string) + qty > p.maxPerBuyer) return refusal('buyer_limit_exceeded');
      if (p.available < qty) return refusal('insufficient_stock');
      // Tokens carry at least 128 random bits; a token seen before would let one buyer order another's hold.
      if (issuedToken.length < 22 || [...this.#s.holds.values()].some((h) => h.token === issuedToken)) {
        return refusal('token_not_fresh');
      }
      p.available -= qty;
      const id = this.#s.nextId.hold++;
      const expiresAt = this.#s.now + this.settings.holdTtlMs;
      this.#s.holds.set(id, { id, productId, qty, token: issuedToken, status: 'active', expiresAt, createdAt: this.#s.now, ...(buyer === undefined ? {} : { buyer: buyer as string }) });
      return success('hold', { holdId: id, token: issuedToken, productId, qty, expiresAt, replayed: false });
    });
  }

  createOrder(input: { holdId: unknown; token: unknown; key?: string }): Answer {
    const { holdId, token, key } = input;
    if (!isId(holdId) || typeof token !== 'string' || token.length < 1 || token.length > 512 || !validKey(key, true)) {
      return refusal('invalid_input');
    }
    return this.#keyed('order', key, JSON.stringify([holdId, token]), () => {
      const hold = this.#s.holds.get(holdId);
      // Unknown hold and wrong token read the same, so a stranger learns nothing.
      if (!hold || hold.token !== token) return refusal('invalid_hold');
      if (hold.status === 'converted') return refusal('hold_used');
      // Hold lifecycle: its buyer gave it back.
      if (hold.status === 'released') return refusal('hold_released');
      if (hold.status === 'expired' || this.#s.now >= hold.expiresAt) return refusal('hold_expired');
      hold.status = 'converted';
      const price = this.#s.products.get(hold.productId)!.priceCents;
      const id = this.#s.nextId.order++;
      hold.orderId = id;
      const deadline = this.#s.now + this.settings.paymentTtlMs;
      this.#s.orders.set(id, { id, productId: hold.productId, qty: hold.qty, status: 'pending', deadline, holdId, amountCents: price * hold.qty, ...(hold.buyer === undefined ? {} : { buyer: hold.buyer }) });
      return success('order', {
        orderId: id,
        holdId,
        productId: hold.productId,
        qty: hold.qty,
        status: 'pending',
        amountCents: price * hold.qty,
        amount: money(price * hold.qty),
        paymentDeadline: deadline,
        replayed: false,
      });
    });
  }

  applyPayment(input: { orderId: unknown; status: unknown; txnId: string | null; key: string }): Answer {
    const { orderId, status, txnId, key } = input;
    const txnOk = txnId === null || (txnId.length >= 1 && txnId.length <= 255);
    if (!isId(orderId) || (status !== 'success' && status !== 'failed') || !txnOk || !validKey(key, false)) return refusal('invalid_input');
    return this.#keyed('payment', key, JSON.stringify([orderId, status, txnId]), () => {
      const order = this.#s.orders.get(orderId);
      if (!order) return refusal('order_not_found');
      const product = this.#s.products.get(order.productId)!;
      const answer = (effect: string) => success('payment', { orderId, orderStatus: order.status, effect, replayed: false });
      const was = order.status;
      if (status === 'success') {
        if (was === 'pending') {
          order.status = 'completed';
          return answer('completed');
        }
        if (was === 'expired') {
          // Paid after its deadline: sell it after all if the stock is still there, else owe a refund.
          if (product.available >= order.qty) {
            product.available -= order.qty;
            order.status = 'completed';
            return answer('retaken');
          }
          order.status = 'refund_due';
          return answer('refund_due');
        }
        return was === 'failed' ? refusal('payment_conflict') : answer('none');
      }
      if (was === 'pending') {
        order.status = 'failed';
        product.available += order.qty;
        return answer('failed');
      }
      return was === 'failed' || was === 'expired' ? answer('none') : refusal('payment_conflict');
    });
  }

  // Hold lifecycle: the buyer's side of a hold. The token is compared before anything else.

  /** Gives an active hold's stock back; a repeat answers the same and does nothing. */
  releaseHold(input: { holdId: unknown; token: unknown }): Answer {
    const found = this.#ownedHold(input);
    if (!found.ok) return found.refusal;
    const hold = found.hold;
    if (hold.status === 'converted') return refusal('hold_used');
    const answer = (effect: string) => success('hold-release', { holdId: hold.id, productId: hold.productId, qty: hold.qty, status: 'released', effect });
    if (hold.status === 'released') return answer('none');
    if (hold.status === 'expired' || this.#s.now >= hold.expiresAt) return refusal('hold_expired');
    hold.status = 'released';
    this.#s.products.get(hold.productId)!.available += hold.qty;
    return answer('released');
  }

  /** Moves an active hold's expiry to now + its lifetime, at most its creation + the maximum lifetime. */
  extendHold(input: { holdId: unknown; token: unknown }): Answer {
    const found = this.#ownedHold(input);
    if (!found.ok) return found.refusal;
    const hold = found.hold;
    if (hold.status === 'converted') return refusal('hold_used');
    if (hold.status === 'released') return refusal('hold_released');
    if (hold.status === 'expired' || this.#s.now >= hold.expiresAt) return refusal('hold_expired');
    const latest = hold.createdAt + this.settings.holdMaxLifetimeMs;
    if (hold.expiresAt >= latest) return refusal('hold_extension_limit');
    // The model's one clock never runs backwards, so an extension never shortens a hold here.
    hold.expiresAt = Math.min(this.#s.now + this.settings.holdTtlMs, latest);
    return success('hold-extend', { holdId: hold.id, expiresAt: hold.expiresAt });
  }

  /** The hold as its owner sees it: past its expiry it reads expired, released by a pass or not. */
  readHold(input: { holdId: unknown; token: unknown }): Answer {
    const found = this.#ownedHold(input);
    if (!found.ok) return found.refusal;
    const hold = found.hold;
    const status = hold.status === 'active' && this.#s.now >= hold.expiresAt ? 'expired' : hold.status;
    return success('hold-state', { holdId: hold.id, productId: hold.productId, qty: hold.qty, status, expiresAt: hold.expiresAt, orderId: hold.orderId ?? null });
  }

  /** The order, for the token of its hold; an unknown order and a wrong token read the same. */
  readOrder(input: { orderId: unknown; token: unknown }): Answer {
    const { orderId, token } = input;
    if (!isId(orderId) || !validToken(token)) return refusal('invalid_input');
    const order = this.#s.orders.get(orderId);
    if (!order || this.#s.holds.get(order.holdId)!.token !== token) return refusal('invalid_order');
    return success('order-state', {
      orderId,
      holdId: order.holdId,
      productId: order.productId,
      qty: order.qty,
      status: order.status,
      amountCents: order.amountCents,
      amount: money(order.amountCents),
      paymentDeadline: order.deadline,
    });
  }

  #ownedHold(input: { holdId: unknown; token: unknown }): { ok: true; hold: ModelHold } | { ok: false; refusal: Answer } {
    const { holdId, token } = input;
    if (!isId(holdId) || !validToken(token)) return { ok: false, refusal: refusal('invalid_input') };
    const hold = this.#s.holds.get(holdId);
    if (!hold || hold.token !== token) return { ok: false, refusal: refusal('invalid_hold') };
    return { ok: true, hold };
  }

  /** One whole expiry pass: every due hold and order, then every idempotency record past its time. */
  releaseExpired(): Answer {
    const rows = this.releaseRows();
    const purged = this.purgeKeys();
    return rows.ok && purged.ok ? success('release', { ...rows.value, ...purged.value }) : rows;
  }

  /** Holds past their expiry and pending orders past their deadline, not yet released. */
  dueRows(): { holds: number[]; orders: number[] } {
    const s = this.#s;
    return {
      holds: [...s.holds.values()].filter((h) => h.status === 'active' && h.expiresAt <= s.now).map((h) => h.id),
      orders: [...s.orders.values()].filter((o) => o.status === 'pending' && o.deadline <= s.now).map((o) => o.id),
    };
  }

  /**
   * The first half of a pass: releases the due rows, except those in `skip` (rows a concurrent
   * request had locked, which a `SKIP LOCKED` pass leaves to the next one).
   */
  releaseRows(skip: { holds?: ReadonlySet<number>; orders?: ReadonlySet<number> } = {}): Answer {
    const s = this.#s;
    const due = this.dueRows();
    let units = 0;
    const holds = due.holds.filter((id) => !skip.holds?.has(id));
    const orders = due.orders.filter((id) => !skip.orders?.has(id));
    for (const row of [...holds.map((id) => s.holds.get(id)!), ...orders.map((id) => s.orders.get(id)!)]) {
      row.status = 'expired';
      s.products.get(row.productId)!.available += row.qty;
      units += row.qty;
    }
    return success('release', { holds: holds.length, orders: orders.length, units });
  }

  /** Remembered keys old enough to be purged, as `scope:key`. */
  purgeableKeys(): string[] {
    const cutoff = this.#s.now - this.settings.idempotencyTtlMs;
    return Object.entries(this.#s.keys).flatMap(([scope, records]) =>
      [...records].filter(([, record]) => record.at < cutoff).map(([key]) => `${scope}:${key}`),
    );
  }

  /** The second half of a pass: forgets old idempotency records, except those in `skip`. */
  purgeKeys(skip: ReadonlySet<string> = new Set()): Answer {
    const purge = this.purgeableKeys().filter((name) => !skip.has(name));
    for (const name of purge) {
      const [scope, key] = [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)] as [Scope, string];
      this.#s.keys[scope].delete(key);
    }
    return success('release', { purgedIdempotency: purge.length });
  }

  /** What `verify` should find in the store for each product, in model ids. */
  totals(): Map<number, ProductTotals> {
    const totals = new Map<number, ProductTotals>();
    for (const p of this.#s.products.values()) {
      const sum = (rows: Iterable<{ productId: number; qty: number; status: string }>, status: string) =>
        [...rows].filter((r) => r.productId === p.id && r.status === status).reduce((n, r) => n + r.qty, 0);
      totals.set(p.id, {
        initialStock: p.initial,
        restocked: p.restocked,
        available: p.available,
        activeHoldQty: sum(this.#s.holds.values(), 'active'),
        pendingOrderQty: sum(this.#s.orders.values(), 'pending'),
        completedOrderQty: sum(this.#s.orders.values(), 'completed'),
      });
    }
    return totals;
  }

  /**
   * Idempotency: a remembered key answers its first request again (marked replayed) or refuses a
   * different request; a new key acts, and its answer is remembered unless it is a refusal that
   * changed nothing and may succeed later (404s, stock, hold problems).
   */
  #keyed(scope: Scope, key: string | undefined, request: string, act: () => Answer): Answer {
    if (key === undefined) return act();
    const records = this.#s.keys[scope];
    const known = records.get(key);
    if (known) {
      if (known.request !== request) return refusal('idempotency_key_reuse');
      return known.answer.ok ? { ...known.answer, value: { ...known.answer.value, replayed: true } } : { ...known.answer, replayed: true };
    }
    const answer = act();
    if (answer.ok || answer.code === 'payment_conflict') records.set(key, { request, answer, at: this.#s.now });
    return answer;
  }
}

const isWhole = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

const isId = (value: unknown): value is number => isWhole(value, 1, Number.MAX_SAFE_INTEGER);

function validKey(key: string | undefined, optional: boolean): boolean {
  if (key === undefined) return optional;
  return key.length >= 1 && key.length <= 255 && [...key].every((c) => c >= '!' && c <= '~');
}

// Hold lifecycle: a token as a client may send one (the engine's real ones are 64 hex characters).
const validToken = (token: unknown): token is string => typeof token === 'string' && token.length >= 1 && token.length <= 512;

/** 1 to 128 UTF-16 units, no control character (U+0000–U+001F, U+007F–U+009F), no unpaired surrogate. */
function validBuyer(buyer: unknown): boolean {
  if (typeof buyer !== 'string' || buyer.length < 1 || buyer.length > 128) return false;
  for (let i = 0; i < buyer.length; i++) {
    const unit = buyer.charCodeAt(i);
    if (unit <= 0x1f || (unit >= 0x7f && unit <= 0x9f)) return false;
    const high = unit >= 0xd800 && unit <= 0xdbff;
    const low = (at: number) => at < buyer.length && buyer.charCodeAt(at) >= 0xdc00 && buyer.charCodeAt(at) <= 0xdfff;
    if (high && low(i + 1)) i++;
    else if (unit >= 0xd800 && unit <= 0xdfff) return false;
  }
  return true;
}

function money(cents: number): string {
  const text = String(cents).padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

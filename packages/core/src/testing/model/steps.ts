import type { FlashSale } from '../../api.js';
import { answerOf, type Answer } from './answers.js';
import type { Bindings } from './bindings.js';
import type { BuyerChoice, Command, DropCommand, KeyChoice, Ref, TokenChoice } from './commands.js';
import type { ReferenceModel } from './reference-model.js';

type Scope = 'hold' | 'order' | 'payment';

/**
 * One request, resolved to concrete ids and keys for both sides: the engine call and the model
 * call that must give the same answer. A step is a value: sending it twice sends the same request.
 */
export interface Step {
  /** What the step does, for failure messages (never a token). */
  label: string;
  scope?: Scope;
  key?: string;
  /** An expiry pass: in a concurrent batch it is two atomic halves, rows then records (see serial-order.ts). */
  pass?: boolean;
  /** The hold or order (model id) this request locks, which a `SKIP LOCKED` pass may pass over. */
  locks?: { hold?: number; order?: number };
  engine(sale: FlashSale): Promise<Answer>;
  /** The model's answer; `engine` is the engine's answer, whose new hold token the model adopts. */
  model(model: ReferenceModel, engine: Answer): Answer;
}

/** The buyer id of a choice: one of a few, none, or one the validation refuses (a control character). */
function buyerOf(choice: BuyerChoice): string | undefined {
  if (choice === 'none') return undefined;
  if (choice === 'invalid') return 'buyer\u0007';
  return `buyer-${choice}`;
}

/** An id that no store hands out in a test: an unknown product, hold or order. */
const UNKNOWN_ID = 987_654_321;
/** A well-formed token that belongs to no hold. */
const WRONG_TOKEN = 'f'.repeat(64);

interface Target {
  modelId: number;
  engineId: number;
  name: string;
}

/**
 * Turns commands into steps. It remembers, in model ids, what the history has created so far and
 * which keyed requests it has sent, so "the 2nd hold" or "repeat an earlier payment" resolve the
 * same way on every run of the same history.
 */
export class StepResolver {
  readonly products: number[] = [];
  readonly holds: number[] = [];
  readonly orders: number[] = [];
  readonly #tokens = new Map<number, string>();
  readonly #keyed: Record<Scope, Step[]> = { hold: [], order: [], payment: [] };
  #keys = 0;
  // Hold lifecycle: each order's hold (model ids), so an order is read with its hold's token.
  readonly #orderHolds = new Map<number, number>();

  constructor(private readonly bindings: () => Bindings) {}

  /** Takes note of what a matched answer created, and of the key a step used. */
  record(step: Step, answer: Answer): void {
    if (answer.ok && answer.kind === 'hold' && !this.holds.includes(answer.value.holdId as number)) {
      this.holds.push(answer.value.holdId as number);
      this.#tokens.set(answer.value.holdId as number, answer.value.token as string);
    }
    if (answer.ok && answer.kind === 'order' && !this.orders.includes(answer.value.orderId as number)) {
      this.orders.push(answer.value.orderId as number);
      this.#orderHolds.set(answer.value.orderId as number, answer.value.holdId as number);
    }
    if (answer.ok && answer.kind === 'product' && !this.products.includes(answer.value.id as number)) this.products.push(answer.value.id as number);
    if (step.scope && step.key && !this.#keyed[step.scope].includes(step)) this.#keyed[step.scope].push(step);
  }

  hold(command: Extract<Command, { type: 'hold' }>): Step {
    const product = this.#target('product', this.products, command.product);
    return this.#withKey('hold', command.key, (key) => ({
      label: `hold ${product.name} qty ${command.qty}${key === undefined ? '' : ` key ${key}`}`,
      engine: (sale) => answerOf('hold', () => sale.createHold({ productId: product.engineId, qty: command.qty, ...(key === undefined ? {} : { idempotencyKey: key }) })),
      model: (model, engine) =>
        model.createHold({ productId: product.modelId, qty: command.qty, ...(key === undefined ? {} : { key }) }, engine.ok ? String(engine.value.token) : 'no-token-issued'),
    }));
  }

  order(command: Extract<Command, { type: 'order' }>): Step {
    const hold = this.#target('hold', this.holds, command.hold);
    const others = this.holds.filter((id) => id !== hold.modelId);
    const token = {
      right: this.#tokens.get(hold.modelId) ?? WRONG_TOKEN,
      wrong: WRONG_TOKEN,
      other: others.length ? this.#tokens.get(others[0]!)! : WRONG_TOKEN,
      empty: '',
    }[command.token];
    return this.#withKey('order', command.key, (key) => ({
      label: `order ${hold.name} with ${command.token} token${key === undefined ? '' : ` key ${key}`}`,
      locks: { hold: hold.modelId },
      engine: (sale) => answerOf('order', () => sale.createOrder({ holdId: hold.engineId, token, ...(key === undefined ? {} : { idempotencyKey: key }) })),
      model: (model) => model.createOrder({ holdId: hold.modelId, token, ...(key === undefined ? {} : { key }) }),
    }));
  }

  pay(command: Extract<Command, { type: 'pay' }>): Step {
    const order = this.#target('order', this.orders, command.order);
    const { status, txnId } = command;
    return this.#withKey('payment', command.key, (key) => ({
      label: `pay ${order.name} ${status} txn ${txnId} key ${key}`,
      locks: { order: order.modelId },
      engine: (sale) => answerOf('payment', () => sale.applyPayment({ orderId: order.engineId, status, txnId, idempotencyKey: key ?? '' })),
      model: (model) => model.applyPayment({ orderId: order.modelId, status, txnId, key: key ?? '' }),
    }));
  }

  restock(command: Extract<Command, { type: 'restock' }>): Step {
    const product = this.#target('product', this.products, command.product);
    return {
      label: `restock ${product.name} +${command.qty}`,
      engine: (sale) => answerOf('product', () => sale.restock({ productId: product.engineId, qty: command.qty })),
      model: (model) => model.restock(product.modelId, command.qty),
    };
  }

  // Drops.
  buyerHold(command: Extract<DropCommand, { type: 'buyer-hold' }>): Step {
    const product = this.#target('product', this.products, command.product);
    const buyer = buyerOf(command.buyer);
    return this.#withKey('hold', command.key, (key) => ({
      label: `hold ${product.name} qty ${command.qty} for ${buyer ?? 'no buyer'}${key === undefined ? '' : ` key ${key}`}`,
      engine: (sale) =>
        answerOf('hold', () =>
          sale.createHold({ productId: product.engineId, qty: command.qty, ...(key === undefined ? {} : { idempotencyKey: key }), ...(buyer === undefined ? {} : { buyerId: buyer }) }),
        ),
      model: (model, engine) =>
        model.createHold(
          { productId: product.modelId, qty: command.qty, ...(key === undefined ? {} : { key }), ...(buyer === undefined ? {} : { buyer }) },
          engine.ok ? String(engine.value.token) : 'no-token-issued',
        ),
    }));
  }

  /** Instants are resolved against `now` when the step is made, so both sides get the same numbers. */
  setDrop(command: Extract<DropCommand, { type: 'set-drop' }>, now: number): Step {
    const product = this.#target('product', this.products, command.product);
    const { startsIn, endsIn, maxPerBuyer } = command.changes;
    const at = (offset: number | null | undefined) => (offset === undefined ? undefined : offset === null ? null : now + offset);
    const changes = { saleStartsAt: at(startsIn), saleEndsAt: at(endsIn), maxPerBuyer };
    const given = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    return {
      label: `set drop of ${product.name} ${JSON.stringify(given)}`,
      engine: (sale) => answerOf('product', () => sale.updateProduct({ productId: product.engineId, ...given })),
      model: (model) => model.setDrop(product.modelId, { startsAt: changes.saleStartsAt, endsAt: changes.saleEndsAt, maxPerBuyer }),
    };
  }

  release(): Step {
    return {
      label: 'release expired',
      pass: true,
      // The model keeps no merchant events: the count of purged ones is not its to check.
      engine: (sale) =>
        answerOf('release', async () => {
          const { purgedEvents: _purgedEvents, ...summary } = await sale.releaseExpired();
          return summary;
        }),
      model: (model) => model.releaseExpired(),
    };
  }

  // Hold lifecycle: each a request on one hold (or order) with the chosen token.

  releaseHold(command: Extract<Command, { type: 'release-hold' }>): Step {
    return this.#onHold('release', command, { locks: true }, (sale, input) => answerOf('hold-release', () => sale.releaseHold(input)), (model, input) => model.releaseHold(input));
  }

  extendHold(command: Extract<Command, { type: 'extend-hold' }>): Step {
    return this.#onHold('extend', command, { locks: true }, (sale, input) => answerOf('hold-extend', () => sale.extendHold(input)), (model, input) => model.extendHold(input));
  }

  /** A read takes no row lock: a `SKIP LOCKED` pass never passes over a hold for it. */
  readHold(command: Extract<Command, { type: 'read-hold' }>): Step {
    return this.#onHold('read', command, { locks: false }, (sale, input) => answerOf('hold-state', () => sale.getHold(input)), (model, input) => model.readHold(input));
  }

  /** A request on one hold with the chosen token, the same for the engine (its ids) and the model (its own). */
  #onHold(
    verb: string,
    command: { hold: Ref; token: TokenChoice },
    { locks }: { locks: boolean },
    engine: (sale: FlashSale, input: { holdId: number; token: string }) => Promise<Answer>,
    model: (model: ReferenceModel, input: { holdId: number; token: string }) => Answer,
  ): Step {
    const hold = this.#target('hold', this.holds, command.hold);
    const token = this.#token(hold.modelId, command.token);
    return {
      label: `${verb} ${hold.name} with ${command.token} token`,
      ...(locks ? { locks: { hold: hold.modelId } } : {}),
      engine: (sale) => engine(sale, { holdId: hold.engineId, token }),
      model: (m) => model(m, { holdId: hold.modelId, token }),
    };
  }

  readOrder(command: Extract<Command, { type: 'read-order' }>): Step {
    const order = this.#target('order', this.orders, command.order);
    const token = this.#token(this.#orderHolds.get(order.modelId), command.token);
    return {
      label: `read ${order.name} with ${command.token} token`,
      engine: (sale) => answerOf('order-state', () => sale.getOrder({ orderId: order.engineId, token })),
      model: (model) => model.readOrder({ orderId: order.modelId, token }),
    };
  }

  /** The token a request carries: the hold's own, a stranger's, another hold's, or an empty one. */
  #token(holdModelId: number | undefined, choice: TokenChoice): string {
    const others = this.holds.filter((id) => id !== holdModelId);
    return {
      right: (holdModelId !== undefined && this.#tokens.get(holdModelId)) || WRONG_TOKEN,
      wrong: WRONG_TOKEN,
      other: others.length ? this.#tokens.get(others[0]!)! : WRONG_TOKEN,
      empty: '',
    }[choice];
  }

  /** Reads of every product, plus an unknown and an invalid id. */
  inspect(): Step[] {
    const refs: Ref[] = [...this.products.map((_, i) => ({ pick: i })), 'unknown', 'invalid'];
    return refs.map((ref) => {
      const product = this.#target('product', this.products, ref);
      return {
        label: `get ${product.name}`,
        engine: (sale) => answerOf('product', () => sale.getProduct(product.engineId)),
        model: (model) => model.getProduct(product.modelId),
      };
    });
  }

  #target(kind: 'product' | 'hold' | 'order', known: number[], ref: Ref): Target {
    if (ref === 'invalid') return { modelId: 0, engineId: 0, name: `${kind} id 0` };
    const modelId = ref === 'unknown' || known.length === 0 ? undefined : ref === 'latest' ? known.at(-1)! : known[ref.pick % known.length]!;
    if (modelId === undefined) return { modelId: UNKNOWN_ID, engineId: UNKNOWN_ID, name: `unknown ${kind}` };
    return { modelId, engineId: this.bindings().engineId(kind, modelId)!, name: `${kind} #${modelId}` };
  }

  /** Resolves the key choice; `repeat` sends an earlier keyed step of the scope again, as it was. */
  #withKey(scope: Scope, choice: KeyChoice, make: (key: string | undefined) => Omit<Step, 'scope' | 'key'>): Step {
    const earlier = this.#keyed[scope];
    const pickFrom = (list: Step[], n: number) => (list.length ? list[n % list.length] : undefined);
    if (typeof choice === 'object' && 'repeat' in choice) {
      const again = pickFrom(earlier, choice.repeat);
      if (again) return again;
    }
    let key: string | undefined;
    if (choice === 'none') key = undefined;
    else if (choice === 'invalid') key = 'has space';
    else if (typeof choice === 'object' && 'reuse' in choice) key = pickFrom(earlier, choice.reuse)?.key;
    else if (typeof choice === 'object' && 'foreign' in choice) {
      const foreign = (Object.keys(this.#keyed) as Scope[]).filter((s) => s !== scope).flatMap((s) => this.#keyed[s]);
      key = pickFrom(foreign, choice.foreign)?.key;
    }
    if (choice !== 'none' && choice !== 'invalid' && key === undefined) key = `k${++this.#keys}`;
    // An invalid key is refused before it is looked up: nothing to remember or repeat.
    return { ...make(key), scope, ...(key === undefined || choice === 'invalid' ? {} : { key }) };
  }
}

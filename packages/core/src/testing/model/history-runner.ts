import type { FlashSale } from '../../api.js';
import { createFlashSale } from '../../engine.js';
import type { FlashSaleStore } from '../../store.js';
import type { StoreHarness } from '../harness.js';
import { manualClock, type ManualClock } from '../manual-clock.js';
import { answerOf, describeAnswer } from './answers.js';
import { answersMatch, Bindings } from './bindings.js';
import { HISTORY_SETTINGS, type BatchCommand, type Command, type History } from './commands.js';
import { ReferenceModel } from './reference-model.js';
import { describeBatch, findSerialOrder } from './serial-order.js';
import { StepResolver, type Step } from './steps.js';

/** The store's declared `skipsLockedRows` tells the runner what a concurrent release pass may leave. */
export type HistoryHarness = Pick<StoreHarness, 'createStore' | 'destroyStore'>;

/**
 * Runs one history against a fresh store and the reference model side by side. After every
 * command: each answer equals the model's, `verify` is clean, and every product's stock, active
 * holds, pending and completed orders equal the model's. Throws on the first difference.
 */
export async function runHistory(harness: HistoryHarness, history: History): Promise<void> {
  const store = await harness.createStore();
  const clock = manualClock();
  const sale = createFlashSale({ store, clock, ...HISTORY_SETTINGS, releaseBatch: history.releaseBatch });
  try {
    const runner = new HistoryRunner(sale, store, clock, store.capabilities.skipsLockedRows);
    await runner.setUp(history.products);
    for (const [i, command] of history.commands.entries()) {
      runner.at = `command ${i} ${JSON.stringify(command)}`;
      await runner.run(command);
      await runner.checkState();
    }
  } finally {
    await sale.close();
    await harness.destroyStore?.(store);
  }
}

class HistoryRunner {
  at = 'set-up';
  #model: ReferenceModel;
  #bindings = new Bindings();
  readonly #steps = new StepResolver(() => this.#bindings);
  readonly #start: number;

  constructor(
    private readonly sale: FlashSale,
    private readonly store: FlashSaleStore,
    private readonly clock: ManualClock,
    private readonly skipsLockedRows: boolean,
  ) {
    this.#start = clock();
    this.#model = new ReferenceModel(HISTORY_SETTINGS, this.#start);
  }

  async setUp(products: History['products']): Promise<void> {
    for (const [i, { stock, priceCents }] of products.entries()) {
      const name = `Product ${i + 1}`;
      await this.#serial({
        label: `create ${name}`,
        engine: (sale) => answerOf('product', () => sale.createProduct({ name, price: priceCents, stock })),
        model: (model) => model.createProduct(name, priceCents, stock),
      });
    }
    await this.checkState();
  }

  async run(command: Command): Promise<void> {
    switch (command.type) {
      case 'advance':
        return this.#advance(command.ms);
      case 'advance-to-deadline': {
        const next = this.#model.nextDeadline();
        if (next !== undefined) this.#advance(Math.max(0, next + command.offset - this.#model.now));
        return;
      }
      case 'checkout': {
        const hold = this.#steps.hold({ type: 'hold', product: command.product, qty: command.qty, key: 'none' });
        await this.#serial(hold);
        return this.#serial(this.#steps.order({ type: 'order', hold: 'latest', token: 'right', key: 'none' }));
      }
      case 'inspect':
        for (const step of this.#steps.inspect()) await this.#serial(step);
        return;
      case 'burst': {
        const holds = command.qtys.map((qty) => this.#steps.hold({ type: 'hold', product: command.product, qty, key: command.keyed ? 'fresh' : 'none' }));
        return this.#concurrent(holds, { arrivalOrder: true });
      }
      case 'batch': {
        const steps: Step[] = [];
        for (const sub of command.commands) {
          // A copy sends an earlier request of the batch again, key and all: a duplicate delivery.
          const step = sub.type === 'copy' ? steps[sub.of % Math.max(steps.length, 1)] : this.#step(sub);
          // At most two expiry passes per batch keep the search for a serial order small.
          if (step && !(step.pass && steps.filter((s) => s.pass).length >= 2)) steps.push(step);
        }
        return this.#concurrent(steps, { arrivalOrder: false });
      }
      // Drops.
      case 'set-drop':
        return this.#serial(this.#steps.setDrop(command, this.#model.now));
      case 'advance-to-sale-edge': {
        const next = this.#model.nextSaleEdge();
        if (next !== undefined) this.#advance(Math.max(0, next + command.offset - this.#model.now));
        return;
      }
      case 'buyer-checkout': {
        await this.#serial(this.#steps.buyerHold({ type: 'buyer-hold', product: command.product, qty: command.qty, buyer: command.buyer, key: 'none' }));
        return this.#serial(this.#steps.order({ type: 'order', hold: 'latest', token: 'right', key: 'none' }));
      }
      case 'buyer-burst': {
        const holds = command.asks.map(({ qty, buyer }) => this.#steps.buyerHold({ type: 'buyer-hold', product: command.product, qty, buyer, key: 'none' }));
        return this.#concurrent(holds, { arrivalOrder: true });
      }
      default:
        return this.#serial(this.#step(command));
    }
  }

  /** The audit of the inventory invariants is clean, and every product's totals are the model's. */
  async checkState(): Promise<void> {
    const report = await this.sale.verify();
    if (!report.ok) this.#fail(`verify found violations: ${JSON.stringify(report.violations)}`);
    const snapshot = await this.store.auditSnapshot();
    const expected = this.#model.totals();
    const actual = new Map(snapshot.products.map(({ productId, ...totals }) => [this.#bindings.modelId('product', productId) ?? -productId, totals]));
    for (const [id, totals] of expected) {
      const got = actual.get(id);
      if (!got || Object.entries(totals).some(([field, value]) => got[field as keyof typeof got] !== value)) {
        this.#fail(`product #${id}: store has ${JSON.stringify(got)}, model has ${JSON.stringify(totals)}`);
      }
    }
    if (actual.size !== expected.size) this.#fail(`store has ${actual.size} products, model has ${expected.size}`);
  }

  #step(command: BatchCommand & { type: Exclude<BatchCommand['type'], 'copy'> }): Step {
    switch (command.type) {
      case 'hold':
        return this.#steps.hold(command);
      case 'order':
        return this.#steps.order(command);
      case 'pay':
        return this.#steps.pay(command);
      case 'restock':
        return this.#steps.restock(command);
      case 'release':
        return this.#steps.release();
      // Hold lifecycle.
      case 'release-hold':
        return this.#steps.releaseHold(command);
      case 'extend-hold':
        return this.#steps.extendHold(command);
      case 'read-hold':
        return this.#steps.readHold(command);
      case 'read-order':
        return this.#steps.readOrder(command);
      case 'buyer-hold':
        return this.#steps.buyerHold(command);
    }
  }

  #advance(ms: number): void {
    this.clock.advance(ms);
    this.#model.advance(ms);
  }

  async #serial(step: Step): Promise<void> {
    const engine = await step.engine(this.sale);
    const model = step.model(this.#model, engine);
    const bindings = this.#bindings.clone();
    if (!answersMatch(model, engine, bindings)) {
      this.#fail(`${step.label}: engine answered ${describeAnswer(engine)}, model ${describeAnswer(model)}`);
    }
    this.#bindings = bindings;
    this.#steps.record(step, model);
  }

  /**
   * Sends every step at once, then asks for a serial order of the model that gives every answer
   * the engine gave (linearizability; see serial-order.ts). Holds on one product keep arrival
   * order (`arrivalOrder`); a mixed batch may have run in any order.
   */
  async #concurrent(steps: Step[], { arrivalOrder }: { arrivalOrder: boolean }): Promise<void> {
    const engine = await Promise.all(steps.map((step) => step.engine(this.sale)));
    const found = findSerialOrder({ model: this.#model, bindings: this.#bindings, steps, engine, arrivalOrder, skipsLockedRows: this.skipsLockedRows });
    if (!found) {
      this.#fail(`no serial order of the model gives the engine's answers${arrivalOrder ? ' in arrival order' : ''}:\n${describeBatch(steps, engine, this.#model)}`);
    }
    this.#model = found.model;
    this.#bindings = found.bindings;
    steps.forEach((step, i) => found.answers[i] && this.#steps.record(step, found.answers[i]!));
  }

  #fail(message: string): never {
    throw new Error(`${this.at} (clock +${this.#model.now - this.#start} ms): ${message}`);
  }
}


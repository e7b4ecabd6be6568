/**
 * The client's view of how much stock is out (held or sold) over time, to check "no oversell at
 * any time". Every change is placed where it is certain: a grant at the moment its 201 arrived (the
 * stock was taken before that), a release at the moment its request was sent or its hold expired
 * (the stock cannot have come back earlier). The running total is then a lower bound of what
 * storage had out at each instant, so a peak above the stock is a real oversell, never noise.
 */
export class StockLedger {
  readonly #events: { at: number; delta: number }[] = [];

  /** Stock taken, seen at `at` (epoch ms). */
  taken(at: number, qty: number): void {
    this.#events.push({ at, delta: qty });
  }

  /** Stock that may have come back from `at` (epoch ms) on. */
  returned(at: number, qty: number): void {
    this.#events.push({ at, delta: -qty });
  }

  /** The highest running total, and when it was reached. Releases at the same instant count first. */
  peak(): { units: number; at: number | undefined } {
    const sorted = [...this.#events].sort((a, b) => a.at - b.at || a.delta - b.delta);
    let total = 0;
    let best = 0;
    let at: number | undefined;
    for (const event of sorted) {
      total += event.delta;
      if (total > best) {
        best = total;
        at = event.at;
      }
    }
    return { units: best, at };
  }
}

/** One {@link StockLedger} per product: each product's stock is its own. */
export class StockLedgers {
  readonly #byProduct = new Map<number, StockLedger>();

  of(productId: number): StockLedger {
    let ledger = this.#byProduct.get(productId);
    if (!ledger) this.#byProduct.set(productId, (ledger = new StockLedger()));
    return ledger;
  }
}

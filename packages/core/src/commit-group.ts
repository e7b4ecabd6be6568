/** How one unit of a group ended: its own answer, or its own error. */
export type UnitSettlement<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Commits a batch of units in arrival order, in one transaction, and settles each on its own: a
 * unit that throws is undone alone (a savepoint) and the others commit. Throws only when the batch
 * as a whole failed (the commit, the connection); then every unit in it fails with that error.
 */
export type CommitBatch<U, R> = (units: readonly U[]) => Promise<readonly UnitSettlement<R>[]>;

export interface CommitGroupOptions {
  /** The most units taken into one batch. */
  maxBatch: number;
  /** How many batches may be committing at once (1 for SQLite's one writer; a share of a pool). */
  maxInFlight: number;
}

interface Waiting<U, R> {
  unit: U;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit for a store's write use cases. Units submitted in one turn of the event loop, or
 * while every batch slot is committing, are taken together into one batch: one transaction, one
 * commit, one fsync, for what would otherwise be one of each per request. Each unit still gets its
 * own answer, and the batch runs its units one after the other in arrival order, so its result
 * equals running them one at a time in that order. A lone unit waits only for the end of the
 * current turn (`setImmediate`), never for a timer.
 */
export class CommitGroup<U, R> {
  readonly #commit: CommitBatch<U, R>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  readonly #waiting: Waiting<U, R>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(commit: CommitBatch<U, R>, options: CommitGroupOptions) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
    this.#commit = commit;
    this.#maxBatch = options.maxBatch;
    this.#maxInFlight = options.maxInFlight;
  }

  run(unit: U): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#waiting.push({ unit, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#waiting.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#inFlight < this.#maxInFlight && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      this.#inFlight++;
      void this.#commitBatch(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
    }
  }

  async #commitBatch(batch: readonly Waiting<U, R>[]): Promise<void> {
    let settlements: readonly UnitSettlement<R>[];
    try {
      settlements = await this.#commit(batch.map((waiting) => waiting.unit));
      if (settlements.length !== batch.length) {
        throw new Error(`a batch of ${batch.length} units settled ${settlements.length}`);
      }
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, i) => {
      const settled = settlements[i]!;
      if (settled.ok) waiting.resolve(settled.value);
      else waiting.reject(settled.error);
    });
  }
}

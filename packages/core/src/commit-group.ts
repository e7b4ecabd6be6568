/** How one unit of a group ended: its own answer, or its own error. */
export type UnitSettlement<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Commits a batch of units in arrival order, in one transaction, and settles each on its own: a
 * unit that throws is undone alone (a savepoint) and the others commit. Throws only when the batch
 * as a whole failed (the commit, the connection); then every unit in it fails with that error.
 */
export type CommitBatch<U, R> = (units: readonly U[]) => Promise<readonly UnitSettlement<R>[]>;

/** How far a group got in one transaction: the answers of the units that ran, and where one must leave. */
export interface GroupProgress<R = unknown> {
  done: UnitSettlement<R>[];
  /** The index of the unit that must run alone (it met a lock wait); the units after it did not run. */
  leftAt?: number;
}

/**
 * Commits `units` in arrival order: as many as `together` takes in one transaction, then the unit
 * that had to leave the group on its own (`alone`, as a lone request would run), then the rest as
 * the next group. A single unit runs alone. The adapters' commit functions for {@link CommitGroup}.
 */
export async function commitInArrivalOrder<U, R>(
  units: readonly U[],
  together: (units: readonly U[]) => Promise<GroupProgress<R>>,
  alone: (unit: U) => Promise<R>,
): Promise<UnitSettlement<R>[]> {
  const settleAlone = async (unit: U): Promise<UnitSettlement<R>> => {
    try {
      return { ok: true, value: await alone(unit) };
    } catch (error) {
      return { ok: false, error };
    }
  };
  const settled: UnitSettlement<R>[] = [];
  let rest = units;
  while (rest.length > 0) {
    if (rest.length === 1) {
      settled.push(await settleAlone(rest[0]!));
      break;
    }
    const { done, leftAt } = await together(rest);
    settled.push(...done);
    if (leftAt === undefined) break;
    settled.push(await settleAlone(rest[leftAt]!));
    rest = rest.slice(leftAt + 1);
  }
  return settled;
}

export interface CommitGroupOptions {
  /** The most units taken into one batch. */
  maxBatch: number;
  /** How many batches may be committing at once (1 for SQLite's one writer; a share of a pool). */
  maxInFlight: number;
  /**
   * True for an error that says storage is down (a lost connection, no connection within its
   * timeout). A batch that fails that way fails the units queued behind it too, with the same
   * error: each would otherwise wait out its own timeout only to fail the same way, and a request
   * must never wait for more than one such attempt.
   */
  failsQueued?: (error: unknown) => boolean;
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
  readonly #failsQueued: (error: unknown) => boolean;
  readonly #waiting: Waiting<U, R>[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(commit: CommitBatch<U, R>, options: CommitGroupOptions) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new RangeError('maxBatch must be a positive integer');
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) throw new RangeError('maxInFlight must be a positive integer');
    this.#commit = commit;
    this.#maxBatch = options.maxBatch;
    this.#maxInFlight = options.maxInFlight;
    this.#failsQueued = options.failsQueued ?? (() => false);
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
      this.#failQueuedOn(error);
      return;
    }
    batch.forEach((waiting, i) => {
      const settled = settlements[i]!;
      if (settled.ok) waiting.resolve(settled.value);
      else waiting.reject(settled.error);
    });
    // A batch of one that ran alone reports storage down as its own settlement.
    const only = settlements.length === 1 ? settlements[0]! : undefined;
    if (only && !only.ok) this.#failQueuedOn(only.error);
  }

  #failQueuedOn(error: unknown): void {
    if (!this.#failsQueued(error)) return;
    for (const waiting of this.#waiting.splice(0)) waiting.reject(error);
  }
}

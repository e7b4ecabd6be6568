import { describe, expect, it } from 'vitest';
import { CommitGroup, commitInArrivalOrder, type UnitSettlement } from '../src/commit-group.js';

type Unit = () => number;

/** A commit that records each batch, runs its units in order and settles each on its own. */
function recordingCommit(batches: number[][], gate?: Promise<void>) {
  return async (units: readonly Unit[]): Promise<UnitSettlement<number>[]> => {
    await gate;
    const settled = units.map((unit): UnitSettlement<number> => {
      try {
        return { ok: true, value: unit() };
      } catch (error) {
        return { ok: false, error };
      }
    });
    batches.push(settled.map((s) => (s.ok ? s.value : -1)));
    return settled;
  };
}

describe('CommitGroup', () => {
  it('takes the units of one turn together, in arrival order, each with its own answer', async () => {
    const batches: number[][] = [];
    const group = new CommitGroup<Unit, number>(recordingCommit(batches), { maxBatch: 100, maxInFlight: 1 });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => group.run(() => n * 10)));
    expect(answers).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[10, 20, 30, 40]]);
  });

  it('a unit that fails fails alone; the others in its batch are answered', async () => {
    const batches: number[][] = [];
    const group = new CommitGroup<Unit, number>(recordingCommit(batches), { maxBatch: 100, maxInFlight: 1 });
    const results = await Promise.allSettled([
      group.run(() => 1),
      group.run(() => {
        throw new Error('own rows');
      }),
      group.run(() => 3),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('own rows'));
    expect(batches).toEqual([[1, -1, 3]]);
  });

  it('a batch that fails as a whole fails every unit in it with its error', async () => {
    const group = new CommitGroup<Unit, number>(
      async () => {
        throw new Error('commit failed');
      },
      { maxBatch: 100, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([group.run(() => 1), group.run(() => 2)]);
    expect(results).toEqual([
      { status: 'rejected', reason: new Error('commit failed') },
      { status: 'rejected', reason: new Error('commit failed') },
    ]);
  });

  it('gathers what arrives while a batch commits into the next one, and splits at maxBatch', async () => {
    const batches: number[][] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const group = new CommitGroup<Unit, number>(recordingCommit(batches, gate), { maxBatch: 3, maxInFlight: 1 });
    const first = group.run(() => 1);
    await new Promise((resolve) => setImmediate(resolve));
    // The first batch is committing (held at the gate): these five wait for it.
    const later = [2, 3, 4, 5, 6].map((n) => group.run(() => n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([]);
    open();
    expect(await Promise.all([first, ...later])).toEqual([1, 2, 3, 4, 5, 6]);
    expect(batches).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('commits up to maxInFlight batches at once', async () => {
    let inFlight = 0;
    let most = 0;
    const group = new CommitGroup<Unit, number>(
      async (units) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        return units.map((unit) => ({ ok: true as const, value: unit() }));
      },
      { maxBatch: 2, maxInFlight: 3 },
    );
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => group.run(() => i)));
    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(3);
  });

  it('a batch that fails because storage is down fails the units queued behind it at once, with the same error', async () => {
    const down = new Error('storage down');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let calls = 0;
    const group = new CommitGroup<Unit, number>(
      async () => {
        calls++;
        await gate;
        throw down;
      },
      { maxBatch: 2, maxInFlight: 1, failsQueued: (error) => error === down },
    );
    const first = group.run(() => 1);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = [2, 3, 4].map((n) => group.run(() => n));
    open();
    const results = await Promise.allSettled([first, ...queued]);
    expect(results.every((r) => r.status === 'rejected' && r.reason === down)).toBe(true);
    // Only the first batch went to storage: the queued ones did not each wait for their own try.
    expect(calls).toBe(1);
  });

  it('commitInArrivalOrder: a unit that must leave runs alone after the units before it, the rest form the next group', async () => {
    const log: string[] = [];
    const settled = await commitInArrivalOrder(
      ['a', 'b', 'LOCK', 'c', 'd', 'e'],
      async (units) => {
        log.push(`together ${units.join(',')}`);
        const stop = units.indexOf('LOCK');
        const ran = stop < 0 ? units : units.slice(0, stop);
        const done = ran.map((u): UnitSettlement<string> => (u === 'd' ? { ok: false, error: new Error('own rows') } : { ok: true, value: u }));
        return stop < 0 ? { done } : { done, leftAt: stop };
      },
      async (unit) => {
        log.push(`alone ${unit}`);
        return unit.toLowerCase();
      },
    );
    expect(log).toEqual(['together a,b,LOCK,c,d,e', 'alone LOCK', 'together c,d,e']);
    expect(settled.map((s) => (s.ok ? s.value : 'failed'))).toEqual(['a', 'b', 'lock', 'c', 'failed', 'e']);
    // One unit is never worth a group's transaction.
    const lone: string[] = [];
    await commitInArrivalOrder(['x'], async () => (lone.push('together'), { done: [] }), async (u) => (lone.push('alone'), u));
    expect(lone).toEqual(['alone']);
  });

  it('refuses settings that cannot work', () => {
    const commit = recordingCommit([]);
    expect(() => new CommitGroup(commit, { maxBatch: 0, maxInFlight: 1 })).toThrow(RangeError);
    expect(() => new CommitGroup(commit, { maxBatch: 1, maxInFlight: 0.5 })).toThrow(RangeError);
  });
});

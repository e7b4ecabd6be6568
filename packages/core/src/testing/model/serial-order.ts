import { describeAnswer, type Answer } from './answers.js';
import { answersMatch, type Bindings } from './bindings.js';
import type { ReferenceModel } from './reference-model.js';
import type { Step } from './steps.js';

/**
 * The linearizability check for a batch of requests that ran at once: a serial order of the
 * model in which every request gets the answer the engine gave it.
 *
 * Every request is one atomic unit, except an expiry pass: the engine runs it as two store calls,
 * releasing due rows and then purging old idempotency records, so the model runs it as two
 * halves that other requests may fall between. Passes running together share the work, so their
 * answers are compared as a sum. When the store releases with `SKIP LOCKED`
 * (`skipsLockedRows`), a pass may also leave a due row that a concurrent request of the batch had
 * locked (its hold or order) or a record it was using (its key) to the next pass: the search
 * tries those variants too, and only for such rows.
 */
export interface SerialOrderSearch {
  model: ReferenceModel;
  bindings: Bindings;
  steps: Step[];
  engine: Answer[];
  /** The engine promises arrival order (holds on one product): only that order is tried. */
  arrivalOrder: boolean;
  skipsLockedRows: boolean;
}

export interface SerialOrderFound {
  model: ReferenceModel;
  bindings: Bindings;
  /** The model's answer to each step, undefined for a step that had no effect. */
  answers: (Answer | undefined)[];
}

type Unit = { step: number; part: 'whole' | 'rows' | 'records' };

export function findSerialOrder(search: SerialOrderSearch): SerialOrderFound | undefined {
  const { steps, engine } = search;
  const units: Unit[] = [];
  steps.forEach((step, i) => {
    if (inFlight(search, i)) return;
    if (step.pass) units.push({ step: i, part: 'rows' }, { step: i, part: 'records' });
    else units.push({ step: i, part: 'whole' });
  });
  const passes = steps.flatMap((step, i) => (step.pass ? [i] : []));
  const lockedHolds = new Set(steps.flatMap((s) => (s.locks?.hold === undefined ? [] : [s.locks.hold])));
  const lockedOrders = new Set(steps.flatMap((s) => (s.locks?.order === undefined ? [] : [s.locks.order])));
  const usedKeys = new Set(steps.flatMap((s) => (s.key === undefined ? [] : [`${s.scope}:${s.key}`])));

  const explore = (model: ReferenceModel, bindings: Bindings, done: boolean[], answers: (Answer | undefined)[], halves: Answer[]): SerialOrderFound | undefined => {
    const next = units.flatMap((unit, u) => {
      if (done[u]) return [];
      if (search.arrivalOrder && done.slice(0, u).some((d) => !d)) return [];
      if (unit.part === 'records' && !done[u - 1]) return []; // a pass purges after it releases
      return [u];
    });
    if (next.length === 0) {
      const model_ = sum(halves);
      const engine_ = sum(passes.map((i) => engine[i]!));
      return answersMatch(model_, engine_, bindings) ? { model, bindings, answers } : undefined;
    }
    for (const u of next) {
      const unit = units[u]!;
      for (const apply of variants(model, unit)) {
        const m = model.clone();
        const b = bindings.clone();
        const answer = apply(m);
        const nextAnswers = [...answers];
        const nextHalves = [...halves];
        if (unit.part === 'whole') {
          if (!answersMatch(answer, engine[unit.step]!, b)) continue;
          nextAnswers[unit.step] = answer;
        } else nextHalves.push(answer);
        const found = explore(m, b, done.map((d, i) => d || i === u), nextAnswers, nextHalves);
        if (found) return found;
      }
    }
    return undefined;
  };

  /** The ways a unit can run: one for a request; for a pass half, each choice of locked rows to pass over. */
  const variants = (model: ReferenceModel, unit: Unit): ((m: ReferenceModel) => Answer)[] => {
    const step = steps[unit.step]!;
    if (unit.part === 'whole') return [(m) => step.model(m, engine[unit.step]!)];
    if (unit.part === 'rows') {
      const due = model.dueRows();
      const holds = search.skipsLockedRows ? due.holds.filter((id) => lockedHolds.has(id)) : [];
      const orders = search.skipsLockedRows ? due.orders.filter((id) => lockedOrders.has(id)) : [];
      return subsets([...holds.map((id) => ({ hold: id })), ...orders.map((id) => ({ order: id }))]).map((skip) => (m: ReferenceModel) =>
        m.releaseRows({
          holds: new Set(skip.flatMap((r) => ('hold' in r ? [r.hold] : []))),
          orders: new Set(skip.flatMap((r) => ('order' in r ? [r.order] : []))),
        }),
      );
    }
    const keys = search.skipsLockedRows ? model.purgeableKeys().filter((name) => usedKeys.has(name)) : [];
    return subsets(keys).map((skip) => (m: ReferenceModel) => m.purgeKeys(new Set(skip)));
  };

  return explore(search.model, search.bindings, units.map(() => false), [], []);
}

/**
 * A duplicate of a key sent in the same batch may be told `idempotency_in_flight` instead of
 * waiting for the first; such a request had no effect, so the model leaves it out.
 */
function inFlight({ steps, engine }: SerialOrderSearch, i: number): boolean {
  const answer = engine[i]!;
  const step = steps[i]!;
  if (answer.ok || answer.code !== 'idempotency_in_flight' || step.key === undefined) return false;
  return steps.some((other, j) => j !== i && other.scope === step.scope && other.key === step.key);
}

/** The field-by-field sum of expiry-pass answers (the first refusal, if any was refused). */
function sum(answers: Answer[]): Answer {
  const total: Record<string, number> = { holds: 0, orders: 0, units: 0, purgedIdempotency: 0 };
  for (const answer of answers) {
    if (!answer.ok) return answer;
    for (const [field, value] of Object.entries(answer.value)) total[field] = (total[field] ?? 0) + Number(value);
  }
  return { ok: true, kind: 'release', value: total };
}

function subsets<T>(items: T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((subset) => [...subset, item])], [[]]);
}

/** What the engine answered and what the model answers in arrival order, for a failure message. */
export function describeBatch(steps: Step[], engine: Answer[], model: ReferenceModel): string {
  const serial = model.clone();
  return steps.map((step, i) => `  ${step.label}: engine ${describeAnswer(engine[i]!)}; model in arrival order ${describeAnswer(step.model(serial, engine[i]!))}`).join('\n');
}

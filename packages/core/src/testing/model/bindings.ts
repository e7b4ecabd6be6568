import { ID_FIELDS, type Answer, type EntityKind } from './answers.js';

/**
 * The one-to-one map between the model's ids and the engine's ids. The model numbers everything
 * 1, 2, 3…; a database may leave gaps (PostgreSQL sequences do), so ids are never compared raw:
 * the first time an entity appears its two ids are bound, and every later answer must agree.
 */
export class Bindings {
  #toEngine: Record<EntityKind, Map<number, number>>;
  #toModel: Record<EntityKind, Map<number, number>>;

  constructor(source?: Bindings) {
    const copy = (maps?: Record<EntityKind, Map<number, number>>) => ({
      product: new Map(maps?.product),
      hold: new Map(maps?.hold),
      order: new Map(maps?.order),
    });
    this.#toEngine = copy(source && source.#toEngine);
    this.#toModel = copy(source && source.#toModel);
  }

  clone(): Bindings {
    return new Bindings(this);
  }

  engineId(kind: EntityKind, modelId: number): number | undefined {
    return this.#toEngine[kind].get(modelId);
  }

  modelId(kind: EntityKind, engineId: number): number | undefined {
    return this.#toModel[kind].get(engineId);
  }

  /** Binds the pair when both ids are new; true when they are (now) bound to each other. */
  match(kind: EntityKind, modelId: unknown, engineId: unknown): boolean {
    if (typeof modelId !== 'number' || typeof engineId !== 'number' || !Number.isSafeInteger(engineId) || engineId <= 0) return false;
    const bound = this.#toEngine[kind].get(modelId);
    if (bound !== undefined) return bound === engineId;
    if (this.#toModel[kind].has(engineId)) return false;
    this.#toEngine[kind].set(modelId, engineId);
    this.#toModel[kind].set(engineId, modelId);
    return true;
  }
}

/**
 * True when the engine gave the model's answer: the same refusal code and replay flag, or the same
 * success with every id bound consistently and every other field equal. Binds new ids as it goes,
 * so pass a clone when a failed match must leave no trace.
 */
export function answersMatch(model: Answer, engine: Answer, bindings: Bindings): boolean {
  if (!model.ok || !engine.ok) {
    return !model.ok && !engine.ok && model.code === engine.code && model.replayed === engine.replayed;
  }
  if (model.kind !== engine.kind) return false;
  const fields = new Set([...Object.keys(model.value), ...Object.keys(engine.value)]);
  const ids = ID_FIELDS[model.kind];
  for (const field of fields) {
    // An id field may be null (a hold's order id before it is converted): null matches null only.
    const kind = model.value[field] === null ? undefined : ids[field];
    const same = kind ? bindings.match(kind, model.value[field], engine.value[field]) : Object.is(model.value[field], engine.value[field]);
    if (!same) return false;
  }
  return true;
}

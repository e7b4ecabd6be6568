/**
 * The answer of one use case, in a shape both the engine and the reference model can give, so the
 * two can be compared field by field. Ids inside `value` are in the answerer's own id space; the
 * runner maps them through {@link Bindings} before comparing.
 */
export type Answer =
  | { ok: true; kind: AnswerKind; value: Record<string, unknown> }
  | { ok: false; code: string; replayed: boolean };

export type AnswerKind =
  | 'hold'
  | 'order'
  | 'payment'
  | 'release'
  | 'product'
  // Hold lifecycle.
  | 'hold-release'
  | 'hold-extend'
  | 'hold-state'
  | 'order-state';

export type EntityKind = 'product' | 'hold' | 'order';

/** Which fields of a successful answer are ids, and of what. */
export const ID_FIELDS: Record<AnswerKind, Partial<Record<string, EntityKind>>> = {
  hold: { holdId: 'hold', productId: 'product' },
  order: { orderId: 'order', holdId: 'hold', productId: 'product' },
  payment: { orderId: 'order' },
  release: {},
  product: { id: 'product' },
  // Hold lifecycle.
  'hold-release': { holdId: 'hold', productId: 'product' },
  'hold-extend': { holdId: 'hold' },
  'hold-state': { holdId: 'hold', productId: 'product', orderId: 'order' },
  'order-state': { orderId: 'order', holdId: 'hold', productId: 'product' },
};

export const success = (kind: AnswerKind, value: Record<string, unknown>): Answer => ({ ok: true, kind, value });
export const refusal = (code: string, replayed = false): Answer => ({ ok: false, code, replayed });

/**
 * Runs one engine call and turns its result or refusal into an {@link Answer}. Anything that is
 * not a flashsale refusal (a crash, a driver error) is rethrown: it fails the history as it is.
 */
export async function answerOf(kind: AnswerKind, call: () => Promise<object>): Promise<Answer> {
  try {
    return success(kind, { ...(await call()) });
  } catch (error) {
    const candidate = error as { name?: unknown; code?: unknown; replayed?: unknown };
    if (candidate?.name !== 'FlashSaleError' || typeof candidate.code !== 'string') throw error;
    return refusal(candidate.code, candidate.replayed === true);
  }
}

/** A short, token-free rendering of an answer for failure messages. */
export function describeAnswer(answer: Answer): string {
  if (!answer.ok) return `refused ${answer.code}${answer.replayed ? ' (replayed)' : ''}`;
  const { token, ...rest } = answer.value;
  return `${answer.kind} ${JSON.stringify(token === undefined ? rest : { ...rest, token: '<token>' })}`;
}

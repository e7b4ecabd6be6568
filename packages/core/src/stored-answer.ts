import type { IdempotencyKey, IdempotencyScope } from './idempotency.js';
import { isRemembered } from './rules.js';
import type { CreateOrderOutcome, PaymentOutcome, ReserveOutcome } from './store.js';

/** The outcome type a keyed request of each scope has. */
export interface OutcomeOfScope {
  hold: ReserveOutcome;
  order: CreateOrderOutcome;
  payment: PaymentOutcome;
}

/** A stored answer, read back. */
export interface ReadAnswer<S extends IdempotencyScope> {
  outcome: OutcomeOfScope[S];
  attachment?: string;
}

/** The format version in every body written here. */
const VERSION = 1;

/** The kinds each scope's outcome may have: what a body must carry to be read back. */
const KINDS: { [S in IdempotencyScope]: readonly string[] } = {
  hold: ['held', 'refused'],
  order: ['created', 'refused'],
  payment: ['applied', 'refused'],
};

/**
 * The body a store keeps for a keyed request's answer, or `undefined` when the answer is not
 * remembered (`isRemembered`). The one place that writes the format; `readStoredAnswer` reads it.
 *
 * @example
 * const body = storedAnswer(request.idempotency, outcome);
 * if (body !== undefined) insertRecord({ ...request.idempotency, body });
 */
export function storedAnswer<S extends IdempotencyScope>(key: IdempotencyKey<S>, outcome: OutcomeOfScope[S]): string | undefined {
  if (!isRemembered(outcome)) return undefined;
  return JSON.stringify({ v: VERSION, outcome: withoutSecrets(outcome), ...(key.attachment === undefined ? {} : { attachment: key.attachment }) });
}

/**
 * Reads a body written by `storedAnswer` (or by the first release, which stored the bare outcome
 * with a hold's sealed token inside it). Throws when the body is not an answer of `scope`: a
 * corrupt record must fail loudly, never replay as something else.
 */
export function readStoredAnswer<S extends IdempotencyScope>(scope: S, body: string): ReadAnswer<S> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw unreadable(scope, 'not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw unreadable(scope, 'not an object');
  const record = parsed as { v?: unknown; outcome?: unknown; attachment?: unknown; sealedToken?: unknown; kind?: unknown };
  const versioned = record.v !== undefined;
  if (versioned && record.v !== VERSION) throw unreadable(scope, `format version ${String(record.v)}`);
  const outcome = (versioned ? record.outcome : parsed) as { kind?: unknown } | undefined;
  const attachment = versioned ? record.attachment : record.sealedToken;
  if (typeof outcome !== 'object' || outcome === null || typeof outcome.kind !== 'string' || !KINDS[scope].includes(outcome.kind)) {
    throw unreadable(scope, 'no outcome of this scope');
  }
  if (attachment !== undefined && typeof attachment !== 'string') throw unreadable(scope, 'attachment is not text');
  if (!versioned) delete (outcome as { sealedToken?: unknown }).sealedToken;
  return { outcome: outcome as OutcomeOfScope[S], ...(attachment === undefined ? {} : { attachment }) };
}

/** A hold's token hash stays in the holds table: a replay does not need it. */
function withoutSecrets(outcome: ReserveOutcome | CreateOrderOutcome | PaymentOutcome): unknown {
  return outcome.kind === 'held' ? { ...outcome, hold: { ...outcome.hold, tokenHash: '' } } : outcome;
}

function unreadable(scope: IdempotencyScope, why: string): Error {
  return new Error(`a stored ${scope} idempotency answer cannot be read (${why})`);
}

import type { ErrorCode, InputIssue, RefusalDetails } from '@flashsale/core';
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { renderProblem, type ProblemMembers } from './render.js';

/** What the engine said no with: a thrown FlashSaleError, or a refusal `tryCreateHold` returned. */
interface EngineRefusal {
  code: ErrorCode;
  message: string;
  replayed: boolean;
  issues?: readonly InputIssue[];
  /** A thrown error's details; a returned refusal carries the same fields flat. */
  details?: RefusalDetails | undefined;
  startsAt?: number;
  retryAfterMs?: number;
  limit?: number;
  remaining?: number;
}

/** Renders an engine refusal as its problem, with the headers its code calls for. */
export function renderEngineRefusal(c: Context<AppEnv>, refusal: EngineRefusal): Response {
  // Most refusals (a sold-out stampede's 409s) carry no extra header: leave `headers` unset then,
  // so the answer keeps a plain header object (see renderProblem).
  let headers: Record<string, string> | undefined;
  if (refusal.replayed) headers = { 'Idempotent-Replayed': 'true' };
  // Storage trouble is usually brief (a lock, a failover): tell well-behaved clients when to retry.
  if (refusal.code === 'storage_unavailable') headers = { ...headers, 'Retry-After': '1' };
  const errors = refusal.issues?.map((issue) => ({ in: 'body' as const, pointer: `#/${issue.path.split('.').join('/')}`, detail: issue.message }));
  const drop = dropProblem(refusal);
  if (drop?.retryAfter) headers = { ...headers, 'Retry-After': drop.retryAfter };
  return renderProblem(c, refusal.code, drop?.detail ?? refusal.message, { errors, headers, members: drop?.members });
}

/** Drops: what a refusal of the window or the limit says on the wire, in the API's words. */
function dropProblem(refusal: EngineRefusal): { detail: string; members?: ProblemMembers; retryAfter?: string } | undefined {
  switch (refusal.code) {
    case 'sale_not_started': {
      const details = { ...refusal, ...refusal.details };
      if (details.startsAt === undefined || details.retryAfterMs === undefined) return undefined;
      const opensAt = new Date(details.startsAt).toISOString();
      // Whole seconds, rounded up, at least 1: a client that waits that long finds the sale open.
      const retryAfter = String(Math.max(1, Math.ceil(details.retryAfterMs / 1000)));
      return { detail: `The sale of this product opens at ${opensAt}.`, members: { sale_starts_at: opensAt }, retryAfter };
    }
    case 'buyer_limit_exceeded': {
      const details = { ...refusal, ...refusal.details };
      if (details.limit === undefined || details.remaining === undefined) return undefined;
      return {
        detail: `This product allows ${details.limit} units per buyer; this buyer may hold ${details.remaining} more.`,
        members: { limit: details.limit, remaining: details.remaining },
      };
    }
    case 'buyer_required':
      return { detail: 'This product limits the units per buyer: name the buyer with buyer_id.' };
    case 'invalid_sale_window':
      return { detail: 'The sale must end after it starts: sale_ends_at must be later than sale_starts_at (with the stored values for any field not sent).' };
    default:
      return undefined;
  }
}

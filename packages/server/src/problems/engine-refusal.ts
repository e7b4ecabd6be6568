import type { ErrorCode, InputIssue } from '@flashsale/core';
import type { Context } from 'hono';
import type { AppEnv } from '../env.js';
import { renderProblem } from './render.js';

/** What the engine said no with: a thrown FlashSaleError, or a refusal `tryCreateHold` returned. */
interface EngineRefusal {
  code: ErrorCode;
  message: string;
  replayed: boolean;
  issues?: readonly InputIssue[];
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
  return renderProblem(c, refusal.code, refusal.message, { errors, headers });
}

import { fire, type LoadResult } from '../load/fire.js';
import type { QtyRange } from '../options.js';
import type { Random } from '../random.js';
import type { StockLedger } from './ledger.js';

/** A hold the server granted (201), as the buyer saw it. */
export interface GrantedHold {
  holdId: number;
  token: string;
  productId: number;
  qty: number;
  /** Epoch ms, from `expires_at`. */
  expiresAt: number;
  /** Epoch ms when the 201 arrived. */
  grantedAt: number;
}

export interface HoldPhaseResult {
  load: LoadResult;
  holds: GrantedHold[];
  /** The smallest qty refused with 409, if any was. */
  minRefusedQty: number | undefined;
  /** 201 answers whose body did not name a hold of the requested product and qty. */
  malformed: string[];
}

/**
 * Fires `requests` hold attempts for one product at `concurrency`, each asking for a qty drawn
 * from `qty`, and keeps every granted hold for the flow phase.
 */
export async function runHoldPhase(options: {
  baseUrl: string;
  productId: number;
  requests: number;
  concurrency: number;
  qty: QtyRange;
  timeoutMs: number;
  rng: Random;
  ledger?: StockLedger;
  onProgress?: (done: number) => void;
}): Promise<HoldPhaseResult> {
  const { productId, qty, rng, ledger } = options;
  const holds: GrantedHold[] = [];
  const malformed: string[] = [];
  let minRefusedQty: number | undefined;
  const fixed = qty.min === qty.max;
  const bodyFor = (n: number) => `{"product_id":${productId},"qty":${n}}`;

  // Answers are only kept while the burst runs, and read after it: the load generator shares the
  // CPU with the server it measures, and the baseline it is compared with keeps its answers alike.
  const answers: { status: number; body: string; asked: number; at: number }[] = [];
  const load = await fire({
    url: `${options.baseUrl}/api/holds`,
    requests: options.requests,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    ...(fixed
      ? { body: bodyFor(qty.min) }
      : {
          makeBody: () => {
            const n = rng.int(qty.min, qty.max);
            return { body: bodyFor(n), tag: n };
          },
        }),
    wantBody: (status) => status === 201 || status === 409,
    onBody: (status, body, tag) => void answers.push({ status, body, asked: fixed ? qty.min : tag, at: Date.now() }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  for (const { status, body, asked, at } of answers) {
    if (status === 409) {
      if (minRefusedQty === undefined || asked < minRefusedQty) minRefusedQty = asked;
      continue;
    }
    const hold = parseHold(body);
    if (!hold || hold.productId !== productId || hold.qty !== asked) {
      malformed.push(body.slice(0, 200).replace(/"token":"[^"]*"/, '"token":"…"'));
      if (hold) ledger?.taken(at, hold.qty);
      continue;
    }
    holds.push({ ...hold, grantedAt: at });
    ledger?.taken(at, hold.qty);
  }
  return { load, holds, minRefusedQty, malformed };
}

function parseHold(body: string): Omit<GrantedHold, 'grantedAt'> | undefined {
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    const expiresAt = Date.parse(String(json.expires_at));
    if (typeof json.hold_id !== 'number' || typeof json.token !== 'string' || typeof json.qty !== 'number' || Number.isNaN(expiresAt)) return undefined;
    return { holdId: json.hold_id, token: json.token, productId: Number(json.product_id), qty: json.qty, expiresAt };
  } catch {
    return undefined;
  }
}

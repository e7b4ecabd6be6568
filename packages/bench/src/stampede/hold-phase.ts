import { fire, type LoadResult } from '../load/fire.js';
import type { QtyRange } from '../options.js';
import type { Random } from '../random.js';
import type { StockLedgers } from './ledger.js';

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
  /** Per product: the smallest qty refused with 409 insufficient_stock, if any was (a refusal for stock). */
  minRefusedQty: Map<number, number>;
  /** 201 answers whose body did not name a hold of the requested product and qty. */
  malformed: string[];
  // Drops.
  /** 409 answers by their problem code (insufficient_stock, sale_not_started, buyer_limit_exceeded, ...). */
  refusals: Record<string, number>;
  /** Units granted to each buyer, from the 201s (with `buyers`). */
  grantedByBuyer: Map<string, number>;
  /** When each 201 or 409 arrived (epoch ms), in arrival order. */
  answeredAt: number[];
}

/**
 * Fires `requests` hold attempts at `concurrency`, each for a product drawn from `productIds`,
 * asking for a qty drawn from `qty` (and, with `buyers`, for a buyer drawn from that many), and
 * keeps every granted hold for the flow phase.
 */
export async function runHoldPhase(options: {
  baseUrl: string;
  productIds: readonly number[];
  requests: number;
  concurrency: number;
  qty: QtyRange;
  timeoutMs: number;
  rng: Random;
  ledger?: StockLedgers;
  onProgress?: (done: number) => void;
  /** Each request names a buyer drawn from this many. */
  buyers?: number | undefined;
}): Promise<HoldPhaseResult> {
  const { productIds, qty, rng, ledger, buyers } = options;
  const holds: GrantedHold[] = [];
  const malformed: string[] = [];
  const refusals: Record<string, number> = {};
  const grantedByBuyer = new Map<string, number>();
  const minRefusedQty = new Map<number, number>();
  const fixed = qty.min === qty.max && buyers === undefined && productIds.length === 1;
  // What each varying request asked for, by the tag its answer comes back with.
  const asks: { productId: number; qty: number; buyer: string | undefined }[] = [];
  const bodyFor = (productId: number, n: number, buyer?: string) => `{"product_id":${productId},"qty":${n}${buyer === undefined ? '' : `,"buyer_id":"${buyer}"`}}`;

  // Answers are only kept while the burst runs, and read after it: the load generator shares the
  // CPU with the server it measures, and the baseline it is compared with keeps its answers alike.
  const answers: { status: number; body: string; tag: number; at: number }[] = [];
  const load = await fire({
    url: `${options.baseUrl}/api/holds`,
    requests: options.requests,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    ...(fixed
      ? { body: bodyFor(productIds[0]!, qty.min) }
      : {
          makeBody: () => {
            const ask = {
              productId: productIds.length === 1 ? productIds[0]! : productIds[rng.int(0, productIds.length - 1)]!,
              qty: rng.int(qty.min, qty.max),
              buyer: buyers === undefined ? undefined : buyerName(rng.int(1, buyers)),
            };
            asks.push(ask);
            return { body: bodyFor(ask.productId, ask.qty, ask.buyer), tag: asks.length - 1 };
          },
        }),
    wantBody: (status) => status === 201 || status === 409,
    onBody: (status, body, tag) => void answers.push({ status, body, tag, at: Date.now() }),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  for (const { status, body, tag, at } of answers) {
    const ask = fixed ? { productId: productIds[0]!, qty: qty.min, buyer: undefined } : asks[tag]!;
    if (status === 409) {
      const code = problemCode(body);
      refusals[code] = (refusals[code] ?? 0) + 1;
      const least = minRefusedQty.get(ask.productId);
      if (code === 'insufficient_stock' && (least === undefined || ask.qty < least)) minRefusedQty.set(ask.productId, ask.qty);
      continue;
    }
    const hold = parseHold(body);
    if (!hold || hold.productId !== ask.productId || hold.qty !== ask.qty) {
      malformed.push(body.slice(0, 200).replace(/"token":"[^"]*"/, '"token":"…"'));
      if (hold) ledger?.of(ask.productId).taken(at, hold.qty);
      continue;
    }
    holds.push({ ...hold, grantedAt: at });
    ledger?.of(hold.productId).taken(at, hold.qty);
    if (ask.buyer !== undefined) grantedByBuyer.set(ask.buyer, (grantedByBuyer.get(ask.buyer) ?? 0) + hold.qty);
  }
  return { load, holds, minRefusedQty, malformed, refusals, grantedByBuyer, answeredAt: answers.map((a) => a.at) };
}

/** The buyer id of buyer `n` of a run: plain ASCII, so a body needs no escaping. */
export function buyerName(n: number): string {
  return `bench-buyer-${n}`;
}

/** The `code` of a problem body, or `unknown`. */
function problemCode(body: string): string {
  try {
    const code = (JSON.parse(body) as { code?: unknown }).code;
    return typeof code === 'string' ? code : 'unknown';
  } catch {
    return 'unknown';
  }
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

import type { ReleaseSummary } from '../api.js';
import type { EngineContext } from '../engine-context.js';

/** One expiry pass (and the purge of old idempotency records and merchant events): what the sweeper and `flashsale holds:release` run. */
export function expiryUseCases(ctx: EngineContext): { releaseExpired(): Promise<ReleaseSummary> } {
  async function releaseExpired(): Promise<ReleaseSummary> {
    const { store, emit } = ctx;
    const now = ctx.clock();
    const limit = ctx.settings.releaseBatch;
    const summary: ReleaseSummary = { holds: 0, orders: 0, units: 0, purgedIdempotency: 0, purgedEvents: 0 };
    // Bounded store calls, repeated until a call releases less than a full batch.
    for (;;) {
      const counts = await store.releaseExpired({ now, limit });
      summary.holds += counts.holds;
      summary.orders += counts.orders;
      summary.units += counts.holdUnits + counts.orderUnits;
      if (counts.holdUnits > 0) emit({ type: 'stock_released', cause: 'hold_expired', units: counts.holdUnits });
      if (counts.orderUnits > 0) emit({ type: 'stock_released', cause: 'order_expired', units: counts.orderUnits });
      if (counts.holds < limit && counts.orders < limit) break;
    }
    for (;;) {
      const purged = await store.purgeIdempotency({ before: now - ctx.settings.idempotencyTtlMs, limit });
      summary.purgedIdempotency += purged;
      if (purged < limit) break;
    }
    // Events for the merchant: kept for the retention, then purged here.
    for (;;) {
      const purged = await store.purgeMerchantEvents({ before: now - ctx.settings.eventRetentionMs, limit });
      summary.purgedEvents += purged;
      if (purged < limit) break;
    }
    emit({ type: 'release_pass', ...summary });
    return summary;
  }

  return { releaseExpired };
}

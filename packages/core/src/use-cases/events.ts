import type { MerchantEventPage, ReadEventsInput } from '../api.js';
import type { EngineContext } from '../engine-context.js';
import { toMerchantEvent } from '../merchant-events.js';
import { parseInput, READ_EVENTS_LIMITS, readEventsInputSchema } from '../validation.js';

/** Events for the merchant, pulled: a page of the outbox after a position. */
export function eventUseCases(ctx: EngineContext): { readEvents(input?: ReadEventsInput): Promise<MerchantEventPage> } {
  async function readEvents(input: ReadEventsInput = {}): Promise<MerchantEventPage> {
    const { after = 0, limit = READ_EVENTS_LIMITS.defaultLimit } = parseInput(readEventsInputSchema, input);
    const events = (await ctx.store.readMerchantEvents({ after, limit })).map(toMerchantEvent);
    return { events, next: events.at(-1)?.position ?? after };
  }

  return { readEvents };
}

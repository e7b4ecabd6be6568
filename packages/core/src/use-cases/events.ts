import type { MerchantEventPage, ReadEventsInput, RedeliverEventsInput } from '../api.js';
import type { EngineContext } from '../engine-context.js';
import { startEventDelivery, type EventDelivery, type EventDeliveryOptions } from '../event-delivery.js';
import { toMerchantEvent } from '../merchant-events.js';
import { parseInput, READ_EVENTS_LIMITS, readEventsInputSchema, redeliverEventsInputSchema } from '../validation.js';

/** Events for the merchant: pulled (a page of the outbox after a position) and pushed (delivery to sinks). */
export function eventUseCases(ctx: EngineContext): {
  readEvents(input?: ReadEventsInput): Promise<MerchantEventPage>;
  startEventDelivery(options: EventDeliveryOptions): Promise<EventDelivery>;
  redeliverEvents(input: RedeliverEventsInput): Promise<number>;
} {
  async function readEvents(input: ReadEventsInput = {}): Promise<MerchantEventPage> {
    const { after = 0, limit = READ_EVENTS_LIMITS.defaultLimit } = parseInput(readEventsInputSchema, input);
    const events = (await ctx.store.readMerchantEvents({ after, limit })).map(toMerchantEvent);
    return { events, next: events.at(-1)?.position ?? after };
  }

  async function redeliverEvents(input: RedeliverEventsInput): Promise<number> {
    const { from, sink } = parseInput(redeliverEventsInputSchema, input);
    return ctx.store.redeliverEvents({ from, now: ctx.clock(), ...(sink === undefined ? {} : { sink }) });
  }

  return {
    readEvents,
    startEventDelivery: (options) => startEventDelivery(ctx.store, ctx.clock, options),
    redeliverEvents,
  };
}

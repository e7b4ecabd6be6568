import type { EventSink } from '@flashsale/core';
import { webhookSink } from '@flashsale/server';
import type { ServeFlags } from './serve-flags.js';

/** The sinks `flashsale serve` pushes merchant events to, from its --events-* flags. */
export function eventSinksFrom(flags: Pick<ServeFlags, 'eventsUrl' | 'eventsSecret' | 'eventsNats' | 'eventsSubject'>): EventSink[] {
  const sinks: EventSink[] = flags.eventsUrl.map((url) => webhookSink({ url, secret: flags.eventsSecret! }));
  return sinks;
}

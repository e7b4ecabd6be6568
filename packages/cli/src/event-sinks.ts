import type { EventSink } from '@flashsale/core';
import { natsEventSink, webhookSink } from '@flashsale/server';
import type { ServeFlags } from './serve-flags.js';

/** The sinks `flashsale serve` pushes merchant events to, from its --events-* flags. */
export function eventSinksFrom(flags: Pick<ServeFlags, 'eventsUrl' | 'eventsSecret' | 'eventsNats' | 'eventsSubject' | 'eventsTimeout'>): EventSink[] {
  const sinks: EventSink[] = flags.eventsUrl.map((url) => webhookSink({ url, secret: flags.eventsSecret! }));
  if (flags.eventsNats) sinks.push(natsEventSink({ servers: flags.eventsNats, subject: flags.eventsSubject, timeoutMs: flags.eventsTimeout }));
  return sinks;
}

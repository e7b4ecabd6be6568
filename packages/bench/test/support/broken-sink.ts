import { randomBytes } from 'node:crypto';
import type { EventSink } from '@flashsale/core';
import { webhookSink } from '@flashsale/server';

/**
 * A webhook sink that lies, for the bench's own test: it reports every hold.released delivered
 * without sending it, signs every order.failed with a secret the receiver does not know, and
 * sends one made-up event (an id no outbox has) before the first product.sold_out.
 */
export function lyingSink(events: { url: string; secret: string }): EventSink {
  const honest = webhookSink(events);
  const forger = webhookSink({ url: events.url, secret: `whsec_${randomBytes(32).toString('base64')}` });
  let invented = false;
  return {
    id: honest.id,
    label: honest.label,
    async deliver(event, attempt) {
      if (event.type === 'hold.released') return;
      if (event.type === 'order.failed') return forger.deliver(event, attempt);
      if (event.type === 'product.sold_out' && !invented) {
        invented = true;
        await honest.deliver({ ...event, id: `evt_${'f'.repeat(32)}` }, attempt);
      }
      return honest.deliver(event, attempt);
    },
    async close() {
      await Promise.all([honest.close?.(), forger.close?.()]);
    },
  };
}

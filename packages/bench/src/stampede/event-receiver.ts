import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What the receiver saw of one event id. */
export interface ReceivedDelivery {
  /** Deliveries accepted (answered 2xx): 1, or more when the server sent it again. */
  count: number;
  /** When the first was accepted, by this process's clock (epoch ms). */
  firstAt: number;
  /** Its rank among every first acceptance, so the order events arrived in can be checked. */
  rank: number;
}

/**
 * The merchant's webhook endpoint a stampede's server pushes its events to, in the bench's own
 * process: verifies every delivery's Standard Webhooks signature with the `standardwebhooks`
 * package (what a receiver would use, not the server's own code), answers 204, and counts what it
 * accepted per event id. A delivery that does not verify is answered 400 and kept in `invalid`.
 */
export interface EventReceiver {
  /** The URL to give `flashsale serve --events-url`. */
  readonly url: string;
  /** The secret (`whsec_…`) the deliveries must be signed with: `--events-secret`. */
  readonly secret: string;
  /** Per event id. */
  readonly received: ReadonlyMap<string, ReceivedDelivery>;
  /** Deliveries accepted, repeats included. */
  deliveries(): number;
  /** Requests refused: a bad signature, or not a POST of one JSON event carrying its own id. */
  readonly invalid: readonly string[];
  close(): Promise<void>;
}

/**
 * Starts the receiver on a free loopback port, with a fresh secret.
 *
 * @example const receiver = await startEventReceiver(); // serve --events-url receiver.url --events-secret receiver.secret
 */
export async function startEventReceiver(): Promise<EventReceiver> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const verifier = new Webhook(secret);
  const received = new Map<string, ReceivedDelivery>();
  const invalid: string[] = [];
  let deliveries = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      try {
        // Verified over the exact bytes received, before anything reads them.
        const event = verifier.verify(body, {
          'webhook-id': id,
          'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
          'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
        }) as { id?: unknown };
        if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json' || event.id !== id) throw new Error('not a POST of one JSON event carrying its webhook-id');
      } catch (error) {
        invalid.push(`${id || '(no webhook-id)'}: ${(error as Error).message}`);
        res.writeHead(400).end();
        return;
      }
      deliveries += 1;
      const seen = received.get(id);
      if (seen) seen.count += 1;
      else received.set(id, { count: 1, firstAt: Date.now(), rank: received.size });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/flashsale`,
    secret,
    received,
    deliveries: () => deliveries,
    invalid,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

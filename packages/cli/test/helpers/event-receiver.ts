import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One delivery the receiver accepted (answered 2xx). */
export interface ReceivedEvent {
  id: string;
  type: string;
  position: number;
  data: Record<string, string | number>;
}

export interface ReceiverBehaviour {
  /** Share of requests answered 500 (after reading them). Default 0. */
  failureRate?: number;
  /** Share of requests answered only after `slowMs`. Default 0. */
  slowRate?: number;
  slowMs?: number;
  /** Every request waits this long before its answer. Default 0. */
  delayMs?: number;
}

export interface EventReceiver {
  readonly url: string;
  /** Events accepted, in the order their 2xx answers were sent (repeats included). */
  readonly accepted: ReceivedEvent[];
  /** Requests whose signature did not verify, or that were not a POST of one JSON event. */
  readonly invalid: string[];
  /** Times a delivery arrived while another request with the same webhook-id was still open. */
  readonly overlaps: string[];
  /** Every request seen, accepted or not. */
  requests(): number;
  set(behaviour: ReceiverBehaviour): void;
  /** The distinct event ids accepted. */
  ids(): Set<string>;
  close(): Promise<void>;
}

/**
 * A merchant's webhook endpoint, in the test process: verifies each delivery's Standard Webhooks
 * signature with the library a receiver would use, misbehaves on demand (500s, slowness; being
 * down is the job of a TCP proxy in front of it), and records what it accepted and any two
 * attempts of one event that were open at the same time.
 */
export async function startEventReceiver(secret: string, initial: ReceiverBehaviour = {}): Promise<EventReceiver> {
  const verifier = new Webhook(secret);
  let behaviour = initial;
  const accepted: ReceivedEvent[] = [];
  const invalid: string[] = [];
  const overlaps: string[] = [];
  const open = new Set<string>();
  let requests = 0;
  let seed = 0x2545f491;
  // Seeded, so a failing run can be told apart from bad luck by running it again.
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };

  const server: Server = createServer((req, res) => {
    requests += 1;
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const id = String(req.headers['webhook-id'] ?? '');
      if (open.has(id)) overlaps.push(id);
      open.add(id);
      const { failureRate = 0, slowRate = 0, slowMs = 0, delayMs = 0 } = behaviour;
      const fail = random() < failureRate;
      const wait = delayMs + (random() < slowRate ? slowMs : 0);
      setTimeout(() => {
        open.delete(id);
        if (res.destroyed) return;
        let event: ReceivedEvent;
        try {
          event = verifier.verify(body, {
            'webhook-id': id,
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          }) as ReceivedEvent;
          if (req.method !== 'POST' || req.headers['content-type'] !== 'application/json' || event.id !== id) throw new Error('not one JSON event');
        } catch (error) {
          invalid.push(`${id}: ${(error as Error).message}`);
          res.writeHead(400).end();
          return;
        }
        if (fail) {
          res.writeHead(500).end('try again');
          return;
        }
        accepted.push(event);
        res.writeHead(204).end();
      }, wait);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/flashsale`,
    accepted,
    invalid,
    overlaps,
    requests: () => requests,
    set: (next) => {
      behaviour = next;
    },
    ids: () => new Set(accepted.map((e) => e.id)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { merchantEventJson, type EventSink, type MerchantEvent } from '@flashsale/core';
import { jetstream, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { connect, errors, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';

export interface NatsSinkOptions {
  /**
   * The NATS servers: one URL or several separated by commas (`nats://host:4222,nats://other:4222`).
   * A URL may carry credentials (`nats://user:pass@host:4222`, or a token as `nats://token@host:4222`);
   * they are used to log in and appear nowhere else.
   */
  servers: string;
  /** The subject every event is published to; a JetStream stream must listen on it. */
  subject: string;
  /** More nats.js connection options (`tls`, `authenticator`, `name`…); `servers` and credentials come from `servers`. */
  connect?: Omit<NodeConnectionOptions, 'servers' | 'user' | 'pass' | 'token'>;
  /** How long a connection attempt, and the wait for JetStream's acknowledgement, may take. Default 5 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * A NATS JetStream subject: each event published as its JSON (the form of `merchantEventJson`),
 * delivered once JetStream acknowledges that a stream stored it.
 *
 * `msgID` sets the `Nats-Msg-Id` header to the event id. JetStream remembers the ids it stored
 * for the stream's duplicate window (`duplicate_window`, 2 minutes by default) and answers a
 * second message with a known id with the first one's acknowledgement, marked `duplicate: true`,
 * storing nothing: so a retry after a lost acknowledgement, or a redelivery within the window, is
 * a no-op, and counts as delivered. After the window a redelivered event is stored again, so a
 * consumer still drops repeats by id.
 *
 * The connection is opened on the first delivery, not before, so a sink for a NATS that is down
 * does not stop the server from starting; once up, nats.js reconnects on its own, and a
 * connection that closes for good is opened again by the next delivery.
 *
 * @example
 * const delivery = await sale.startEventDelivery({ sinks: [natsEventSink({ servers: 'nats://127.0.0.1:4222', subject: 'flashsale.events' })] });
 */
export function natsEventSink(options: NatsSinkOptions): EventSink {
  const subject = parseNatsSubject(options.subject);
  const { servers, credentials } = parseNatsServers(options.servers);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) throw new RangeError(`timeoutMs must be a positive integer, got ${timeoutMs}`);

  let connection: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  let connectedNow: NatsConnection | undefined;
  let closing = false;

  const open = async () => {
    const nc = await connect({
      ...options.connect,
      ...credentials,
      servers,
      timeout: timeoutMs,
      // Keep trying for as long as the sink lives: the delivery loop, not the client, gives up on events.
      maxReconnectAttempts: -1,
    });
    // Closed while connecting: let go of the connection it opened.
    if (closing) {
      await nc.close();
      throw new Error('the NATS sink is closed');
    }
    connectedNow = nc;
    return { nc, js: jetstream(nc, { timeout: timeoutMs }) };
  };
  const connected = () => {
    if (connection) return connection;
    const attempt = open();
    connection = attempt;
    // A failed attempt, or a connection closed for good, is forgotten: the next delivery connects again.
    const forget = () => {
      if (connection !== attempt) return;
      connection = undefined;
      connectedNow = undefined;
    };
    attempt.then(({ nc }) => nc.closed().then(forget), forget);
    return attempt;
  };

  return {
    // Keyed by the subject alone, not by the servers: the server list changes with the cluster's
    // topology or its credentials, and each change would orphan the queue (a new id starts at the
    // newest event, silently skipping what was pending). Two sinks on one subject in two clusters
    // at once are refused by the delivery loop as sharing an id, loudly.
    id: natsSinkId(subject),
    label: `nats ${subject}`,
    async deliver(event: MerchantEvent, attempt) {
      if (closing) throw new Error('the NATS sink is closed');
      const body = JSON.stringify(merchantEventJson(event));
      await untilAborted(attempt.signal, async () => {
        let js: JetStreamClient;
        try {
          ({ js } = await connected());
        } catch (error) {
          if (closing) throw new Error('the NATS sink is closed');
          throw new Error(`cannot connect to NATS: ${natsReason(error, subject, timeoutMs)}`);
        }
        try {
          await js.publish(subject, body, { msgID: event.id, timeout: timeoutMs });
        } catch (error) {
          throw new Error(natsReason(error, subject, timeoutMs));
        }
      });
    },
    async close() {
      closing = true;
      connection = undefined;
      const nc = connectedNow;
      connectedNow = undefined;
      // A connection still being opened is closed as it opens (above), without waiting for it here.
      // Drain: publishes in flight get their acknowledgements before the connection closes.
      if (nc && !nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

/** The id a subject's queue is kept under (`flashsale events:redeliver` computes the same without the servers). */
export function natsSinkId(subject: string): string {
  return `nats:${parseNatsSubject(subject)}`;
}

/** A subject one can publish to: dot-separated tokens, no wildcards, no spaces. */
export function parseNatsSubject(subject: string): string {
  const tokens = subject.split('.');
  if (subject.length === 0 || tokens.some((t) => t.length === 0 || /[\s*>]/.test(t) || t.includes('\u0000'))) {
    throw new TypeError(`an events subject must be dot-separated tokens without spaces or wildcards, got ${JSON.stringify(subject)}`);
  }
  return subject;
}

type Credentials = Pick<NodeConnectionOptions, 'user' | 'pass' | 'token'>;

/**
 * The server list without its credentials, and the credentials apart: nats.js logs in with
 * options, not with a URL's user info, and a server without credentials in its URL can then
 * never show them in an error.
 */
export function parseNatsServers(list: string): { servers: string[]; credentials: Credentials } {
  const servers: string[] = [];
  let credentials: Credentials | undefined;
  const entries = list.split(',').map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new TypeError('a NATS server list needs at least one nats:// URL');
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry.includes('://') ? entry : `nats://${entry}`);
    } catch {
      // Not the entry itself: it may hold a password.
      throw new TypeError('a NATS server must be a URL such as nats://host:4222');
    }
    if (!['nats:', 'tls:'].includes(url.protocol)) throw new TypeError(`a NATS server URL must use nats or tls, not ${url.protocol.replace(':', '')}`);
    if (!url.hostname) throw new TypeError('a NATS server URL needs a host');
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    const these: Credentials = user && pass ? { user, pass } : user ? { token: user } : {};
    if (user) {
      if (credentials && !sameCredentials(credentials, these)) throw new TypeError('the NATS servers carry different credentials: one connection logs in with one');
      credentials = these;
    }
    servers.push(`${url.protocol}//${url.host}`);
  }
  return { servers, credentials: credentials ?? {} };
}

function sameCredentials(a: Credentials, b: Credentials): boolean {
  return a.user === b.user && a.pass === b.pass && a.token === b.token;
}

/**
 * Runs `work`, rejecting as soon as `signal` aborts (with its reason: timed out, shutting down).
 * A publish cannot be taken back once sent; if it lands after all, the retry is a duplicate.
 */
async function untilAborted(signal: AbortSignal, work: () => Promise<void>): Promise<void> {
  const reasonOf = () => new Error(signal.reason instanceof Error ? signal.reason.message : 'aborted');
  if (signal.aborted) throw reasonOf();
  let onAbort: (() => void) | undefined;
  try {
    await Promise.race([work(), new Promise<never>((_, reject) => signal.addEventListener('abort', (onAbort = () => reject(reasonOf())), { once: true }))]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Why a connection or a publish failed, in words of our own: nats.js messages may name a server,
 * and a server's URL is the operator's. JetStream's own refusals (a full stream, say) are kept.
 */
function natsReason(error: unknown, subject: string, timeoutMs: number): string {
  if (isNoResponders(error)) return `no JetStream stream listens on ${subject} (no responders)`;
  if (error instanceof errors.TimeoutError) return `no answer from NATS within ${timeoutMs} ms`;
  if (error instanceof errors.AuthorizationError) return 'NATS refused the credentials';
  if (error instanceof errors.PermissionViolationError) return `not permitted to publish to ${subject}`;
  if (error instanceof errors.ClosedConnectionError || error instanceof errors.DrainingConnectionError) return 'the NATS connection is closed';
  if (error instanceof errors.ConnectionError) return error.message === 'connection refused' ? 'connection refused' : 'the NATS connection failed';
  if (error instanceof JetStreamApiError) return `JetStream refused the message: ${error.message}`;
  return error instanceof Error ? error.name : 'publish failed';
}

/** JetStream reports a subject no stream listens on as "jetstream is not enabled", with the request's no-responders error as its cause. */
function isNoResponders(error: unknown): boolean {
  if (error instanceof errors.NoRespondersError) return true;
  const cause = error instanceof Error ? error.cause : undefined;
  return (cause instanceof errors.RequestError && cause.isNoResponders()) || cause instanceof errors.NoRespondersError;
}

-- 000009: events for the merchant, pushed. Each sink (a webhook endpoint, a NATS subject) has a
-- cursor and a queue of deliveries, one row per (sink, event), so a receiver that is down costs
-- rows, never memory, and the processes on this database share the work
-- (src/operations/event-deliveries.ts).
--
-- A claim enqueues the events after its sink's cursor (under the sink row's lock, so one process
-- at a time advances it), then leases due pending deliveries: attempts + 1, next_attempt_at = the
-- lease's end, so no other claim takes one until its attempt is settled or its lease ends.
--
-- ordering_key is 'order:<id>' for an order's events: only the first pending delivery of a key is
-- claimed, so an order's events reach the receiver one at a time, in position order.
--
-- Deliveries name their event by position only: the outbox purge deletes the deliveries at or
-- below the highest position it removed, in its own transaction.

CREATE TABLE merchant_event_sinks (
  sink          text   PRIMARY KEY,
  -- The newest position enqueued for the sink (at registration, the newest given out).
  last_position bigint NOT NULL,
  created_at    bigint NOT NULL
);

CREATE TABLE merchant_event_deliveries (
  sink            text   NOT NULL REFERENCES merchant_event_sinks ON DELETE CASCADE,
  position        bigint NOT NULL,
  ordering_key    text   NULL,
  state           text   NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts        int    NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  delivered_at    bigint NULL,
  last_error      text   NULL,
  PRIMARY KEY (sink, position)
);

-- The claim's scan: a sink's pending deliveries in position order, so it stops after `limit` claimable
-- ones (rows still leased or waiting for a retry are few; delivered ones are not in the index).
CREATE INDEX merchant_event_deliveries_pending_idx ON merchant_event_deliveries (sink, position) WHERE state = 'pending';
-- The claim's test for an earlier pending delivery of the same order.
CREATE INDEX merchant_event_deliveries_ordering_idx ON merchant_event_deliveries (sink, ordering_key, position) WHERE state = 'pending';

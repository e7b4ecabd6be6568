-- 000005: events for the merchant, pushed. Each sink (an outbound webhook URL, a NATS subject)
-- has a cursor into the outbox of 000004 and a queue of deliveries, one row per (sink, event),
-- so a slow or dead receiver costs rows, never memory, and several processes share the work
-- (src/operations/event-deliveries.ts).
--
-- A cursor row is also the sink's enqueue lock: a claim that finds it locked by another process
-- (SKIP LOCKED) leaves the enqueueing to that one and only claims. Positions are those the
-- sequencer of 000004 hands out after commit; an event not yet numbered is after every cursor.
--
-- A delivery is `pending` (due at next_attempt_at, which a claim moves to its lease's end),
-- `delivered` or `dead`. attempts counts claims: a settlement applies only to the attempt it
-- answers. ordering_key is 'order:<id>' for an order's events (delivered one at a time, in
-- position order), NULL for the rest.

CREATE TABLE IF NOT EXISTS merchant_event_sinks (
  sink          VARCHAR(255) NOT NULL PRIMARY KEY,
  last_position BIGINT NOT NULL,
  created_at    BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS merchant_event_deliveries (
  sink            VARCHAR(255) NOT NULL,
  position        BIGINT NOT NULL,
  ordering_key    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  state           VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  attempts        INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  delivered_at    BIGINT NULL,
  last_error      VARCHAR(255) NULL,
  CONSTRAINT merchant_event_deliveries_state_check CHECK (state IN ('pending', 'delivered', 'dead')),
  PRIMARY KEY (sink, position),
  -- The claim's scan: a sink's pending deliveries in position order, past its delivered history.
  KEY merchant_event_deliveries_pending_idx (sink, state, position),
  -- The claim's per-order check: an earlier pending delivery of the same order.
  KEY merchant_event_deliveries_order_idx (sink, ordering_key, state, position)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

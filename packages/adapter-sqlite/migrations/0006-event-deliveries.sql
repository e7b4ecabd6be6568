-- 0006: events for the merchant, pushed. Each sink (an outbound webhook URL, a NATS subject) has a
-- cursor, the last position it has queued, and a queue of deliveries, one row per event, so a
-- receiver that is down for hours costs rows, never the server's memory, and a restart resumes
-- where the last process stopped.
--
-- A delivery is `pending` until it is `delivered` or `dead` (failed past the maximum age).
-- `next_attempt_at` is when it may next be claimed: the retry time after a failure, or the end of
-- the lease while an attempt is in flight, so no second claim takes it meanwhile. `attempts`
-- counts claims; a settlement names the attempt it answers and only applies to that one.
-- `ordering_key` is 'order:<id>' for an order's events: only the first pending delivery of a key
-- is claimed, so an order's events reach the receiver in order.

CREATE TABLE merchant_event_sinks (
  sink          TEXT    PRIMARY KEY,
  last_position INTEGER NOT NULL,
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE merchant_event_deliveries (
  sink            TEXT    NOT NULL REFERENCES merchant_event_sinks (sink) ON DELETE CASCADE,
  position        INTEGER NOT NULL,
  ordering_key    TEXT,
  state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delivered_at    INTEGER,
  last_error      TEXT,
  PRIMARY KEY (sink, position)
) WITHOUT ROWID;

-- The claim: a sink's pending deliveries in position order (delivered ones are not in the index,
-- so a long history costs the claim nothing), and an earlier pending delivery of the same order.
CREATE INDEX merchant_event_deliveries_pending ON merchant_event_deliveries (sink, position) WHERE state = 'pending';
CREATE INDEX merchant_event_deliveries_by_order ON merchant_event_deliveries (sink, ordering_key, position) WHERE state = 'pending';

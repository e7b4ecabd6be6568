-- 0005: events for the merchant, the outbox. Each change a merchant cares about appends its event
-- from a trigger, so it is written by the same statement, in the same transaction, as the change:
-- no event without its change, no committed change without its event, whichever operation (or
-- batch of them) made it.
--
-- SQLite has one writer at a time, so rowid order is commit order: `position` is the rowid.
-- AUTOINCREMENT keeps a purged position from ever being handed out again.
--
-- created_at is the engine's clock: an order's own created_at for order.created, otherwise
-- flashsale_event_time(), a function the store registers on its connection and sets to the
-- unit's `now` while the unit runs (src/event-clock.ts). Every connection that writes to these
-- tables must register it; `migrate()` registers one that answers the wall clock.
--
-- The data is a JSON object of ids, quantities, amounts and statuses; never a token.

CREATE TABLE merchant_events (
  position   INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT    NOT NULL UNIQUE,
  type       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  data       TEXT    NOT NULL
);
-- The release pass purges by age.
CREATE INDEX merchant_events_by_age ON merchant_events (created_at);

CREATE TRIGGER merchant_event_order_created AFTER INSERT ON orders
BEGIN
  INSERT INTO merchant_events (id, type, created_at, data)
  VALUES ('evt_' || lower(hex(randomblob(16))), 'order.created', NEW.created_at,
          json_object('order_id', NEW.id, 'hold_id', NEW.hold_id, 'product_id', NEW.product_id, 'qty', NEW.qty,
                      'amount_cents', NEW.amount_cents, 'status', NEW.status));
END;

-- pending -> completed | failed | expired | refund_due, and expired -> completed | refund_due.
CREATE TRIGGER merchant_event_order_status AFTER UPDATE OF status ON orders
WHEN NEW.status <> OLD.status AND NEW.status IN ('completed', 'failed', 'expired', 'refund_due')
BEGIN
  INSERT INTO merchant_events (id, type, created_at, data)
  VALUES ('evt_' || lower(hex(randomblob(16))), 'order.' || NEW.status, flashsale_event_time(),
          json_object('order_id', NEW.id, 'hold_id', NEW.hold_id, 'product_id', NEW.product_id, 'qty', NEW.qty,
                      'amount_cents', NEW.amount_cents, 'status', NEW.status));
END;

-- Released by its buyer; an expired hold is no merchant event (its order never existed).
CREATE TRIGGER merchant_event_hold_released AFTER UPDATE OF status ON holds
WHEN NEW.status = 'released' AND OLD.status <> 'released'
BEGIN
  INSERT INTO merchant_events (id, type, created_at, data)
  VALUES ('evt_' || lower(hex(randomblob(16))), 'hold.released', flashsale_event_time(),
          json_object('hold_id', NEW.id, 'product_id', NEW.product_id, 'qty', NEW.qty));
END;

-- The available stock reached 0, whatever took the last units (a hold batch, a late payment).
CREATE TRIGGER merchant_event_product_sold_out AFTER UPDATE OF available ON products
WHEN OLD.available > 0 AND NEW.available = 0
BEGIN
  INSERT INTO merchant_events (id, type, created_at, data)
  VALUES ('evt_' || lower(hex(randomblob(16))), 'product.sold_out', flashsale_event_time(), json_object('product_id', NEW.id));
END;

-- Only a restock grows `restocked`.
CREATE TRIGGER merchant_event_product_restocked AFTER UPDATE OF restocked ON products
WHEN NEW.restocked > OLD.restocked
BEGIN
  INSERT INTO merchant_events (id, type, created_at, data)
  VALUES ('evt_' || lower(hex(randomblob(16))), 'product.restocked', flashsale_event_time(),
          json_object('product_id', NEW.id, 'qty', NEW.restocked - OLD.restocked, 'available_stock', NEW.available));
END;

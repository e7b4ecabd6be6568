-- 000004: events for the merchant, the outbox. Each change a merchant cares about appends its
-- event from a trigger, in the same transaction as the change, whichever statement (or batch)
-- made it: no event without its change, no committed change without its event.
--
-- Positions. An auto-increment id is drawn at insert time but transactions commit in another
-- order, so a reader that has seen seq 11 could later miss a seq 10 that committed after its
-- read. So events are inserted with position NULL, and a sequencer (src/operations/
-- merchant-events.ts) numbers the committed ones: it locks the one row of merchant_event_cursor,
-- so sequencers run one at a time, and gives every committed unnumbered event the next position
-- in seq order; an event of a transaction still open is locked, skipped (SKIP LOCKED), and
-- numbered by a later run, above every position handed out before. Readers only see numbered
-- events, and each run commits its positions at once, above all earlier ones: what a reader sees
-- after `position > N` is all there will ever be up to the highest position it sees.
--
-- Product events (product.sold_out, product.restocked) are appended by the store's own
-- statements (src/operations/product-events.ts), in the units that change the stock: a trigger
-- on products would insert into this table inside the UPDATE that reads the stock left through
-- LAST_INSERT_ID(expr) (src/operations/reserve-holds.ts), and the trigger's insert takes over the
-- insert id that statement answers.
--
-- created_at is the engine's clock: an order's own created_at for order.created; otherwise the
-- session variable @flashsale_event_time, which the store sets to its unit's `now` when the unit
-- starts (src/event-time.ts). Only outside a store unit (raw SQL) does it fall back to the
-- database clock.
--
-- Every trigger is one statement (the migrator splits the file where a line ends with `;`), and
-- every statement here is safe to run again. The data is a JSON object of ids, quantities,
-- amounts and statuses; never a token. Event ids hash a UUID() with RAND(): unique, without the
-- host's MAC address that a version-1 UUID carries.

CREATE TABLE IF NOT EXISTS merchant_events (
  seq        BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  type       VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  created_at BIGINT NOT NULL,
  data       TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  position   BIGINT NULL,
  CONSTRAINT merchant_events_id_unique UNIQUE KEY (id),
  -- Unnumbered events (NULL) sort first, in seq order: the sequencer's scan.
  CONSTRAINT merchant_events_position_unique UNIQUE KEY (position),
  KEY merchant_events_created_idx (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE IF NOT EXISTS merchant_event_cursor (
  id            TINYINT NOT NULL PRIMARY KEY,
  last_position BIGINT  NOT NULL,
  CONSTRAINT merchant_event_cursor_one_row CHECK (id = 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

INSERT IGNORE INTO merchant_event_cursor (id, last_position) VALUES (1, 0);

CREATE TRIGGER IF NOT EXISTS merchant_event_order_created AFTER INSERT ON orders FOR EACH ROW
  INSERT INTO merchant_events (id, type, created_at, data)
  VALUES (CONCAT('evt_', LEFT(SHA2(CONCAT(UUID(), RAND()), 256), 32)), 'order.created', NEW.created_at,
          JSON_OBJECT('order_id', NEW.id, 'hold_id', NEW.hold_id, 'product_id', NEW.product_id, 'qty', NEW.qty,
                      'amount_cents', NEW.amount_cents, 'status', NEW.status));

-- pending -> completed | failed | expired | refund_due, and expired -> completed | refund_due.
CREATE TRIGGER IF NOT EXISTS merchant_event_order_status AFTER UPDATE ON orders FOR EACH ROW
  INSERT INTO merchant_events (id, type, created_at, data)
  SELECT CONCAT('evt_', LEFT(SHA2(CONCAT(UUID(), RAND()), 256), 32)), CONCAT('order.', NEW.status),
         COALESCE(@flashsale_event_time, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)),
         JSON_OBJECT('order_id', NEW.id, 'hold_id', NEW.hold_id, 'product_id', NEW.product_id, 'qty', NEW.qty,
                     'amount_cents', NEW.amount_cents, 'status', NEW.status)
  FROM DUAL WHERE NEW.status <> OLD.status AND NEW.status IN ('completed', 'failed', 'expired', 'refund_due');

-- Released by its buyer; an expired hold is no merchant event (its order never existed).
CREATE TRIGGER IF NOT EXISTS merchant_event_hold_released AFTER UPDATE ON holds FOR EACH ROW
  INSERT INTO merchant_events (id, type, created_at, data)
  SELECT CONCAT('evt_', LEFT(SHA2(CONCAT(UUID(), RAND()), 256), 32)), 'hold.released',
         COALESCE(@flashsale_event_time, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)),
         JSON_OBJECT('hold_id', NEW.id, 'product_id', NEW.product_id, 'qty', NEW.qty)
  FROM DUAL WHERE NEW.status = 'released' AND OLD.status <> 'released';

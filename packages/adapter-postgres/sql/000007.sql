-- 000007: events for the merchant, the outbox. Each change a merchant cares about appends its
-- event from a trigger, in the same transaction as the change, whichever statement (or batch)
-- made it: no event without its change, no committed change without its event.
--
-- Positions. An identity column is drawn at insert time but transactions commit in another
-- order, so a reader that has seen seq 11 could later miss a seq 10 that committed after its
-- read. So events are inserted with position NULL, and a sequencer (src/operations/
-- merchant-events.ts) numbers the committed ones: it locks the one row of merchant_event_cursor,
-- so sequencers run one at a time, and gives every committed unnumbered event the next position
-- in seq order. An uncommitted event is invisible to it (and skipped if locked), so it is
-- numbered by a later run, above every position handed out before. Readers only see numbered
-- events, and each sequencer run commits its positions at once, above all earlier ones: what a
-- reader sees after `position > N` is always all there will ever be up to the highest it sees.
--
-- created_at is the engine's clock: an order's own created_at for order.created; otherwise
-- flashsale_event_time(), which the store sets for its unit (set_config('flashsale.event_time',
-- now, true) with the unit's BEGIN; a group commit's transaction, with its units' latest `now`),
-- and which a batch of holds sets to its latest created_at. Only outside a store unit (raw SQL)
-- does it fall back to the database clock.
--
-- The trigger functions that write events carry the migration's search_path (the store's
-- schema), so a change made by raw SQL on a connection with another search_path still appends
-- its event. merchant_event_time_of_holds() names no table and sets a GUC for the rest of the
-- transaction, which a function's own SET clause would undo when it returns, so it has none.
--
-- The data is a JSON object of ids, quantities, amounts and statuses; never a token.

CREATE TABLE merchant_events (
  seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id         text   NOT NULL UNIQUE DEFAULT ('evt_' || replace(gen_random_uuid()::text, '-', '')),
  type       text   NOT NULL,
  created_at bigint NOT NULL,
  data       jsonb  NOT NULL,
  position   bigint UNIQUE
);

CREATE INDEX merchant_events_unsequenced_idx ON merchant_events (seq) WHERE position IS NULL;
CREATE INDEX merchant_events_created_idx ON merchant_events (created_at);

CREATE TABLE merchant_event_cursor (
  only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  last_position bigint  NOT NULL CHECK (last_position >= 0)
);
INSERT INTO merchant_event_cursor (last_position) VALUES (0);

CREATE FUNCTION flashsale_event_time() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT coalesce(nullif(current_setting('flashsale.event_time', true), '')::bigint, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
$$;

CREATE FUNCTION merchant_event_order() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO merchant_events (type, created_at, data)
  VALUES (CASE WHEN TG_OP = 'INSERT' THEN 'order.created' ELSE 'order.' || NEW.status END,
          CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE flashsale_event_time() END,
          jsonb_build_object('order_id', NEW.id, 'hold_id', NEW.hold_id, 'product_id', NEW.product_id, 'qty', NEW.qty,
                             'amount_cents', NEW.amount_cents, 'status', NEW.status));
  RETURN NULL;
END;
$$;

CREATE TRIGGER merchant_event_order_created AFTER INSERT ON orders
FOR EACH ROW EXECUTE FUNCTION merchant_event_order();

-- pending -> completed | failed | expired | refund_due, and expired -> completed | refund_due.
CREATE TRIGGER merchant_event_order_status AFTER UPDATE OF status ON orders
FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('completed', 'failed', 'expired', 'refund_due'))
EXECUTE FUNCTION merchant_event_order();

CREATE FUNCTION merchant_event_hold_released() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO merchant_events (type, created_at, data)
  VALUES ('hold.released', flashsale_event_time(), jsonb_build_object('hold_id', NEW.id, 'product_id', NEW.product_id, 'qty', NEW.qty));
  RETURN NULL;
END;
$$;

-- Released by its buyer; an expired hold is no merchant event (its order never existed).
CREATE TRIGGER merchant_event_hold_released AFTER UPDATE OF status ON holds
FOR EACH ROW WHEN (NEW.status = 'released' AND OLD.status IS DISTINCT FROM 'released')
EXECUTE FUNCTION merchant_event_hold_released();

-- A hold batch runs in autocommit (reserve_holds()), where the store cannot set the unit's time:
-- the holds it inserts carry it. Once per statement, from the inserted rows.
CREATE FUNCTION merchant_event_time_of_holds() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('flashsale.event_time', max(created_at)::text, true) FROM inserted_holds HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

CREATE TRIGGER merchant_event_time_of_holds AFTER INSERT ON holds
REFERENCING NEW TABLE AS inserted_holds
FOR EACH STATEMENT EXECUTE FUNCTION merchant_event_time_of_holds();

CREATE FUNCTION merchant_event_product() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_ARGV[0] = 'sold_out' THEN
    INSERT INTO merchant_events (type, created_at, data)
    VALUES ('product.sold_out', flashsale_event_time(), jsonb_build_object('product_id', NEW.id));
  ELSE
    INSERT INTO merchant_events (type, created_at, data)
    VALUES ('product.restocked', flashsale_event_time(),
            jsonb_build_object('product_id', NEW.id, 'qty', NEW.restocked - OLD.restocked, 'available_stock', NEW.available));
  END IF;
  RETURN NULL;
END;
$$;

-- The available stock reached 0, whatever took the last units (a hold batch, a late payment).
-- Deferred to the commit: reserve_holds() takes the stock before it inserts the holds whose
-- created_at stamps the event.
CREATE CONSTRAINT TRIGGER merchant_event_product_sold_out AFTER UPDATE OF available ON products
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (OLD.available > 0 AND NEW.available = 0)
EXECUTE FUNCTION merchant_event_product('sold_out');

-- Only a restock grows `restocked`.
CREATE TRIGGER merchant_event_product_restocked AFTER UPDATE OF restocked ON products
FOR EACH ROW WHEN (NEW.restocked > OLD.restocked)
EXECUTE FUNCTION merchant_event_product('restocked');

-- 000003: drops. A product's sale window and per-buyer limit, the buyer each hold is for, and
-- reserve_holds() deciding both with the stock, under the product's row lock.
--
-- Times are epoch milliseconds passed in by the engine; NULL means no start, no end, no limit.
-- Columns are added, no table rewritten: orders reach their buyer through their hold.

ALTER TABLE products
  ADD COLUMN sale_starts_at bigint CHECK (sale_starts_at >= 0),
  ADD COLUMN sale_ends_at   bigint,
  ADD COLUMN max_per_buyer  bigint CHECK (max_per_buyer > 0),
  -- The store checks the merged window under the row lock; this is the last line.
  ADD CONSTRAINT products_sale_window_check CHECK (sale_ends_at > sale_starts_at);

ALTER TABLE holds ADD COLUMN buyer_id text;

-- A hold of a limited product counts its buyer's units: active holds and the orders on them.
CREATE INDEX holds_product_buyer_idx ON holds (product_id, buyer_id) WHERE buyer_id IS NOT NULL;

-- Replaced by the version below, which takes each request's buyer.
DROP FUNCTION reserve_holds(bigint, bigint[], text[], bigint[], bigint[]);

-- A whole batch of unkeyed hold requests for one product in ONE statement, as 000002's did, now
-- with the rules of a drop, in the core's order (planReservations): each request is judged at its
-- own created_at against the window [sale_starts_at, sale_ends_at); a limited product needs a
-- buyer; the buyer's units (active holds, pending and completed orders of this product, counted
-- here under the row lock) plus the qty must stay within max_per_buyer; then first-fit on the
-- stock. A grant adds to the buyer's running total, so later requests of the batch see it. Every
-- hold of a product takes the same row lock (FOR NO KEY UPDATE), so two batches of the same buyer,
-- from any process, are counted one after the other.
--
-- One row per request, in array order: hold_id (NULL when refused); stock_left, the product's
-- available stock right after that request was decided (NULL when the product does not exist);
-- refusal, the refusal's code (NULL when granted); starts_at for sale_not_started; limit_units and
-- remaining for buyer_limit_exceeded.
CREATE FUNCTION reserve_holds(
  p_product_id bigint,
  p_qty        bigint[],
  p_token_hash text[],
  p_created_at bigint[],
  p_expires_at bigint[],
  p_buyer_id   text[]
) RETURNS TABLE (hold_id bigint, stock_left bigint, refusal text, starts_at bigint, limit_units bigint, remaining bigint)
LANGUAGE plpgsql AS $$
DECLARE
  n          int := cardinality(p_qty);
  v_left     bigint;
  v_starts   bigint;
  v_ends     bigint;
  v_max      bigint;
  v_taken    bigint := 0;
  v_buyers   text[] := ARRAY[]::text[];
  v_units    bigint[] := ARRAY[]::bigint[];
  v_at       int;
  v_granted  boolean[] := array_fill(false, ARRAY[n]);
  v_after    bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_refusal  text[] := array_fill(NULL::text, ARRAY[n]);
  v_remains  bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_ids      regclass := pg_get_serial_sequence('holds', 'id')::regclass;
BEGIN
  SELECT available, sale_starts_at, sale_ends_at, max_per_buyer INTO v_left, v_starts, v_ends, v_max
  FROM products WHERE id = p_product_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT NULL::bigint, NULL::bigint, 'product_not_found'::text, NULL::bigint, NULL::bigint, NULL::bigint FROM generate_series(1, n);
    RETURN;
  END IF;
  IF v_max IS NOT NULL THEN
    SELECT coalesce(array_agg(b.buyer_id), ARRAY[]::text[]), coalesce(array_agg(coalesce(u.units, 0)), ARRAY[]::bigint[]) INTO v_buyers, v_units
    FROM (SELECT DISTINCT x AS buyer_id FROM unnest(p_buyer_id) AS x WHERE x IS NOT NULL) AS b
    LEFT JOIN LATERAL (
      SELECT sum(h.qty) AS units FROM holds h LEFT JOIN orders o ON o.hold_id = h.id
      WHERE h.product_id = p_product_id AND h.buyer_id = b.buyer_id
        AND (h.status = 'active' OR (h.status = 'converted' AND o.status IN ('pending', 'completed')))
    ) AS u ON true;
  END IF;
  FOR i IN 1 .. n LOOP
    IF v_starts IS NOT NULL AND p_created_at[i] < v_starts THEN
      v_refusal[i] := 'sale_not_started';
    ELSIF v_ends IS NOT NULL AND p_created_at[i] >= v_ends THEN
      v_refusal[i] := 'sale_ended';
    ELSIF v_max IS NOT NULL AND p_buyer_id[i] IS NULL THEN
      v_refusal[i] := 'buyer_required';
    ELSE
      v_at := CASE WHEN v_max IS NULL THEN NULL ELSE array_position(v_buyers, p_buyer_id[i]) END;
      IF v_at IS NOT NULL AND v_units[v_at] + p_qty[i] > v_max THEN
        v_refusal[i] := 'buyer_limit_exceeded';
        v_remains[i] := greatest(0, v_max - v_units[v_at]);
      ELSIF v_left >= p_qty[i] THEN
        v_left := v_left - p_qty[i];
        v_taken := v_taken + p_qty[i];
        v_granted[i] := true;
        IF v_at IS NOT NULL THEN v_units[v_at] := v_units[v_at] + p_qty[i]; END IF;
      ELSE
        v_refusal[i] := 'insufficient_stock';
      END IF;
    END IF;
    v_after[i] := v_left;
  END LOOP;
  IF v_taken > 0 THEN
    -- The guard cannot fail under the row lock; the CHECK on available is the last line anyway.
    UPDATE products SET available = available - v_taken WHERE id = p_product_id AND available >= v_taken;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stock of product % changed under its row lock', p_product_id;
    END IF;
  END IF;
  -- Ids are drawn in a materialized CTE, so each granted request is paired with its hold id.
  RETURN QUERY
    WITH req AS MATERIALIZED (
      SELECT CASE WHEN v_granted[r.ord] THEN nextval(v_ids) END AS id, r.*
      FROM unnest(p_qty, p_token_hash, p_created_at, p_expires_at, p_buyer_id) WITH ORDINALITY AS r (qty, token_hash, created_at, expires_at, buyer_id, ord)
    ), inserted AS (
      INSERT INTO holds (id, product_id, qty, status, token_hash, created_at, expires_at, buyer_id)
      SELECT req.id, p_product_id, req.qty, 'active', req.token_hash, req.created_at, req.expires_at, req.buyer_id FROM req WHERE req.id IS NOT NULL
    )
    SELECT req.id, v_after[req.ord], v_refusal[req.ord],
           CASE WHEN v_refusal[req.ord] = 'sale_not_started' THEN v_starts END,
           CASE WHEN v_refusal[req.ord] = 'buyer_limit_exceeded' THEN v_max END,
           v_remains[req.ord]
    FROM req ORDER BY req.ord;
END;
$$;

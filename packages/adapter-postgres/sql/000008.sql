-- 000008: reserve_holds_many(), a batch of unkeyed hold requests for MANY products in ONE statement.
--
-- The hold coalescer now takes the requests of every product that arrive together in one batch (a
-- drop of sizes or seats is one stampede over many products). reserve_holds() (000003) takes one
-- product; a mixed batch went to the client-side transaction (BEGIN, lock, INSERT, COMMIT): four
-- round trips and the planning in Node. This is the same function over many products: it locks
-- every product of the batch in id order (FOR NO KEY UPDATE, so two batches over the same products
-- cannot deadlock), counts the limited products' buyers' units under those locks, decides each
-- request in array order with reserve_holds()'s rules (window at its own created_at, buyer
-- required, per-buyer limit, then first-fit on its product's stock), takes each product's granted
-- total off its stock in one UPDATE and writes the holds in one multi-row INSERT.
--
-- One row per request, in array order, as reserve_holds() answers: hold_id (NULL when refused);
-- stock_left, its product's available stock right after that request was decided (NULL when the
-- product does not exist); refusal; starts_at; limit_units; remaining.
-- Only a function is added: this commutes with migrations that change tables.
CREATE FUNCTION reserve_holds_many(
  p_product_id bigint[],
  p_qty        bigint[],
  p_token_hash text[],
  p_created_at bigint[],
  p_expires_at bigint[],
  p_buyer_id   text[]
) RETURNS TABLE (hold_id bigint, stock_left bigint, refusal text, starts_at bigint, limit_units bigint, remaining bigint)
LANGUAGE plpgsql AS $$
DECLARE
  n          int := cardinality(p_qty);
  -- The batch's products as locked, in id order; v_at indexes them.
  v_pid      bigint[] := ARRAY[]::bigint[];
  v_left     bigint[] := ARRAY[]::bigint[];
  v_starts   bigint[] := ARRAY[]::bigint[];
  v_ends     bigint[] := ARRAY[]::bigint[];
  v_max      bigint[] := ARRAY[]::bigint[];
  v_taken    bigint[] := ARRAY[]::bigint[];
  v_limited  boolean := false;
  -- The units of each (product, buyer) of a limited product, by "product:buyer".
  v_pairs    text[] := ARRAY[]::text[];
  v_units    bigint[] := ARRAY[]::bigint[];
  v_at       int;
  v_pair     int;
  v_granted  boolean[] := array_fill(false, ARRAY[n]);
  v_after    bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_refusal  text[] := array_fill(NULL::text, ARRAY[n]);
  v_from     bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_limit    bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_remains  bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_updated  int;
  v_ids      regclass := pg_get_serial_sequence('holds', 'id')::regclass;
  v_row      record;
BEGIN
  FOR v_row IN
    SELECT id, available, sale_starts_at, sale_ends_at, max_per_buyer FROM products
    WHERE id = ANY (p_product_id) ORDER BY id FOR NO KEY UPDATE
  LOOP
    v_pid := v_pid || v_row.id;
    v_left := v_left || v_row.available;
    v_starts := v_starts || v_row.sale_starts_at;
    v_ends := v_ends || v_row.sale_ends_at;
    v_max := v_max || v_row.max_per_buyer;
    v_taken := v_taken || 0::bigint;
    v_limited := v_limited OR v_row.max_per_buyer IS NOT NULL;
  END LOOP;
  IF v_limited THEN
    SELECT coalesce(array_agg(b.product_id::text || ':' || b.buyer_id), ARRAY[]::text[]), coalesce(array_agg(coalesce(u.units, 0)), ARRAY[]::bigint[])
      INTO v_pairs, v_units
    FROM (
      SELECT DISTINCT x.product_id, x.buyer_id FROM unnest(p_product_id, p_buyer_id) AS x (product_id, buyer_id)
      WHERE x.buyer_id IS NOT NULL AND v_max[array_position(v_pid, x.product_id)] IS NOT NULL
    ) AS b
    LEFT JOIN LATERAL (
      SELECT sum(h.qty) AS units FROM holds h LEFT JOIN orders o ON o.hold_id = h.id
      WHERE h.product_id = b.product_id AND h.buyer_id = b.buyer_id
        AND (h.status = 'active' OR (h.status = 'converted' AND o.status IN ('pending', 'completed')))
    ) AS u ON true;
  END IF;
  FOR i IN 1 .. n LOOP
    v_at := array_position(v_pid, p_product_id[i]);
    IF v_at IS NULL THEN
      v_refusal[i] := 'product_not_found';
      CONTINUE;
    END IF;
    IF v_starts[v_at] IS NOT NULL AND p_created_at[i] < v_starts[v_at] THEN
      v_refusal[i] := 'sale_not_started';
      v_from[i] := v_starts[v_at];
    ELSIF v_ends[v_at] IS NOT NULL AND p_created_at[i] >= v_ends[v_at] THEN
      v_refusal[i] := 'sale_ended';
    ELSIF v_max[v_at] IS NOT NULL AND p_buyer_id[i] IS NULL THEN
      v_refusal[i] := 'buyer_required';
    ELSE
      v_pair := CASE WHEN v_max[v_at] IS NULL THEN NULL ELSE array_position(v_pairs, p_product_id[i]::text || ':' || p_buyer_id[i]) END;
      IF v_pair IS NOT NULL AND v_units[v_pair] + p_qty[i] > v_max[v_at] THEN
        v_refusal[i] := 'buyer_limit_exceeded';
        v_limit[i] := v_max[v_at];
        v_remains[i] := greatest(0, v_max[v_at] - v_units[v_pair]);
      ELSIF v_left[v_at] >= p_qty[i] THEN
        v_left[v_at] := v_left[v_at] - p_qty[i];
        v_taken[v_at] := v_taken[v_at] + p_qty[i];
        v_granted[i] := true;
        IF v_pair IS NOT NULL THEN v_units[v_pair] := v_units[v_pair] + p_qty[i]; END IF;
      ELSE
        v_refusal[i] := 'insufficient_stock';
      END IF;
    END IF;
    v_after[i] := v_left[v_at];
  END LOOP;
  -- The guards cannot fail under the row locks; the CHECK on available is the last line anyway.
  UPDATE products p SET available = p.available - t.taken
  FROM unnest(v_pid, v_taken) AS t (id, taken)
  WHERE p.id = t.id AND t.taken > 0 AND p.available >= t.taken;
  GET DIAGNOSTICS v_updated = ROW_COUNT;
  IF v_updated <> (SELECT count(*) FROM unnest(v_taken) AS t (taken) WHERE t.taken > 0) THEN
    RAISE EXCEPTION 'stock of a product changed under its row lock';
  END IF;
  -- Ids are drawn in a materialized CTE, so each granted request is paired with its hold id.
  RETURN QUERY
    WITH req AS MATERIALIZED (
      SELECT CASE WHEN v_granted[r.ord] THEN nextval(v_ids) END AS id, r.*
      FROM unnest(p_product_id, p_qty, p_token_hash, p_created_at, p_expires_at, p_buyer_id)
        WITH ORDINALITY AS r (product_id, qty, token_hash, created_at, expires_at, buyer_id, ord)
    ), inserted AS (
      INSERT INTO holds (id, product_id, qty, status, token_hash, created_at, expires_at, buyer_id)
      SELECT req.id, req.product_id, req.qty, 'active', req.token_hash, req.created_at, req.expires_at, req.buyer_id FROM req WHERE req.id IS NOT NULL
    )
    SELECT req.id, v_after[req.ord], v_refusal[req.ord], v_from[req.ord], v_limit[req.ord], v_remains[req.ord]
    FROM req ORDER BY req.ord;
END;
$$;

-- 000002: reserve_holds(), a whole batch of unkeyed hold requests for one product in ONE statement.
--
-- The hold coalescer hands a hot product's concurrent requests over as one batch. As a transaction
-- from the client (BEGIN; lock the product row; INSERT the holds; COMMIT) a batch cost four round
-- trips, and under a stampede on two shared cores each round trip also waits for the CPU. Called
-- in autocommit, this function does the same work in one: it locks the product row (FOR NO KEY
-- UPDATE, which does not block the foreign-key checks of concurrent inserts), grants first-fit in
-- array order exactly as serving the requests one by one would, takes the granted total off the
-- stock in one UPDATE and writes the holds in one multi-row INSERT.
--
-- One row per request, in array order: hold_id (NULL when refused) and stock_left, the product's
-- available stock right after that request was decided (NULL when the product does not exist).
CREATE FUNCTION reserve_holds(
  p_product_id bigint,
  p_qty        bigint[],
  p_token_hash text[],
  p_created_at bigint[],
  p_expires_at bigint[]
) RETURNS TABLE (hold_id bigint, stock_left bigint)
LANGUAGE plpgsql AS $$
DECLARE
  n         int := cardinality(p_qty);
  v_left    bigint;
  v_taken   bigint := 0;
  v_granted boolean[] := array_fill(false, ARRAY[n]);
  v_after   bigint[] := array_fill(NULL::bigint, ARRAY[n]);
  v_ids     regclass := pg_get_serial_sequence('holds', 'id')::regclass;
BEGIN
  SELECT available INTO v_left FROM products WHERE id = p_product_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN QUERY SELECT NULL::bigint, NULL::bigint FROM generate_series(1, n);
    RETURN;
  END IF;
  FOR i IN 1 .. n LOOP
    IF v_left >= p_qty[i] THEN
      v_left := v_left - p_qty[i];
      v_taken := v_taken + p_qty[i];
      v_granted[i] := true;
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
      FROM unnest(p_qty, p_token_hash, p_created_at, p_expires_at) WITH ORDINALITY AS r (qty, token_hash, created_at, expires_at, ord)
    ), inserted AS (
      INSERT INTO holds (id, product_id, qty, status, token_hash, created_at, expires_at)
      SELECT req.id, p_product_id, req.qty, 'active', req.token_hash, req.created_at, req.expires_at FROM req WHERE req.id IS NOT NULL
    )
    SELECT req.id, v_after[req.ord] FROM req ORDER BY req.ord;
END;
$$;

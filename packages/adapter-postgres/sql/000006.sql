-- 000006: the checkout wave in one statement per group. checkout_units() runs a group's orders and
-- payments one after the other in array order (arrival order), each as the lone transaction of
-- operations/create-order.ts or operations/apply-payment.ts would, with the same rules
-- (decideOrder, decidePayment and isRemembered of the core; the conformance suite pins them), in
-- its own subtransaction (the EXCEPTION block), so a unit that fails is undone alone.
--
-- Idempotency keys are claimed as claimKeys does: a placeholder (body NULL) that the caller fills
-- with the core's stored answer before commit. A key used again later in the same group finds the
-- earlier unit's placeholder and answers `replay_of` that unit; a key whose answer is not
-- remembered (a refusal) is dropped at once, so a later unit with it is processed afresh.
--
-- A unit that waits past the group's lock_timeout for a row or a key another transaction holds,
-- or meets a deadlock or a committed placeholder, is undone and answers `left`, and nothing after
-- it runs: the caller commits the units before it and runs it alone.
--
-- One row per unit run, in order: ord (1-based); result 'done' | 'replay' | 'replay_of' | 'left' |
-- 'error'; code (a refusal's code, or the SQLSTATE of an error); effect (a payment's); the order
-- (when there is one); fingerprint and body of a stored replay; replay_of (the ord it repeats);
-- message (an error's).
CREATE FUNCTION checkout_units(
  p_kind        text[],
  p_id          bigint[],
  p_token_hash  text[],
  p_status      text[],
  p_txn_id      text[],
  p_now         bigint[],
  p_deadline    bigint[],
  p_scope       text[],
  p_key_hash    text[],
  p_fingerprint text[]
) RETURNS TABLE (
  ord int, result text, code text, effect text,
  o_id bigint, o_hold_id bigint, o_product_id bigint, o_qty bigint, o_amount_cents bigint,
  o_status text, o_created_at bigint, o_payment_deadline bigint, o_txn_id text,
  fingerprint text, body text, replay_of int, message text
)
LANGUAGE plpgsql AS $$
DECLARE
  v_owner    jsonb := '{}'::jsonb;
  v_key      text;
  v_claimed  int;
  v_stored   record;
  v_hold     record;
  v_order    orders%ROWTYPE;
  v_action   text;
  v_code     text;
  v_effect   text;
  v_has      boolean;
BEGIN
  FOR i IN 1 .. cardinality(p_kind) LOOP
    ord := i; result := 'done'; code := NULL; effect := NULL; fingerprint := NULL; body := NULL; replay_of := NULL; message := NULL;
    o_id := NULL; o_hold_id := NULL; o_product_id := NULL; o_qty := NULL; o_amount_cents := NULL;
    o_status := NULL; o_created_at := NULL; o_payment_deadline := NULL; o_txn_id := NULL;
    BEGIN
      v_code := NULL; v_effect := NULL; v_has := false;
      v_key := CASE WHEN p_key_hash[i] IS NULL THEN NULL ELSE p_scope[i] || ':' || p_key_hash[i] END;
      IF v_key IS NOT NULL THEN
        INSERT INTO idempotency_records (scope, key_hash, fingerprint, body, created_at)
        VALUES (p_scope[i], p_key_hash[i], p_fingerprint[i], NULL, p_now[i]) ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_claimed = ROW_COUNT;
        IF v_claimed = 0 THEN
          IF v_owner ? v_key THEN
            result := 'replay_of'; replay_of := (v_owner ->> v_key)::int;
            RETURN NEXT; CONTINUE;
          END IF;
          SELECT r.fingerprint, r.body INTO v_stored FROM idempotency_records r WHERE r.scope = p_scope[i] AND r.key_hash = p_key_hash[i];
          IF FOUND AND v_stored.body IS NOT NULL THEN
            result := 'replay'; fingerprint := v_stored.fingerprint; body := v_stored.body;
            RETURN NEXT; CONTINUE;
          END IF;
          -- Purged between the two statements, or a placeholder committed by no one: alone it
          -- gets the answer it would get on its own.
          result := 'left'; RETURN NEXT; RETURN;
        END IF;
      END IF;

      IF p_kind[i] = 'order' THEN
        SELECT h.id, h.product_id, h.qty, h.status, h.token_hash, h.expires_at, p.price_cents INTO v_hold
        FROM holds h JOIN products p ON p.id = h.product_id WHERE h.id = p_id[i] FOR NO KEY UPDATE OF h;
        IF NOT FOUND OR v_hold.token_hash <> p_token_hash[i] THEN v_code := 'invalid_hold';
        ELSIF v_hold.status = 'converted' THEN v_code := 'hold_used';
        ELSIF v_hold.status = 'released' THEN v_code := 'hold_released';
        ELSIF v_hold.status = 'expired' OR p_now[i] >= v_hold.expires_at THEN v_code := 'hold_expired';
        ELSE
          UPDATE holds SET status = 'converted' WHERE id = v_hold.id;
          INSERT INTO orders (hold_id, product_id, qty, amount_cents, status, created_at, payment_deadline)
          VALUES (v_hold.id, v_hold.product_id, v_hold.qty, v_hold.qty * v_hold.price_cents, 'pending', p_now[i], p_deadline[i])
          RETURNING * INTO v_order;
          v_has := true;
        END IF;
      ELSE
        SELECT * INTO v_order FROM orders WHERE id = p_id[i] FOR NO KEY UPDATE;
        IF NOT FOUND THEN
          v_code := 'order_not_found';
        ELSE
          v_has := true;
          v_action := CASE
            WHEN p_status[i] = 'success' THEN CASE v_order.status WHEN 'pending' THEN 'complete' WHEN 'expired' THEN 'retake' WHEN 'failed' THEN 'conflict' ELSE 'none' END
            ELSE CASE v_order.status WHEN 'pending' THEN 'fail' WHEN 'completed' THEN 'conflict' WHEN 'refund_due' THEN 'conflict' ELSE 'none' END
          END;
          IF v_action = 'complete' THEN
            UPDATE orders SET status = 'completed', txn_id = COALESCE(p_txn_id[i], txn_id) WHERE id = v_order.id RETURNING * INTO v_order;
            v_effect := 'completed';
          ELSIF v_action = 'fail' THEN
            UPDATE orders SET status = 'failed', txn_id = COALESCE(p_txn_id[i], txn_id) WHERE id = v_order.id RETURNING * INTO v_order;
            UPDATE products SET available = available + v_order.qty WHERE id = v_order.product_id;
            v_effect := 'failed';
          ELSIF v_action = 'retake' THEN
            -- Guarded: takes the stock again only if it is all still there.
            UPDATE products SET available = available - v_order.qty WHERE id = v_order.product_id AND available >= v_order.qty;
            IF FOUND THEN
              UPDATE orders SET status = 'completed', txn_id = COALESCE(p_txn_id[i], txn_id) WHERE id = v_order.id RETURNING * INTO v_order;
              v_effect := 'retaken';
            ELSE
              UPDATE orders SET status = 'refund_due', txn_id = COALESCE(p_txn_id[i], txn_id) WHERE id = v_order.id RETURNING * INTO v_order;
              v_effect := 'refund_due';
            END IF;
          ELSIF v_action = 'none' THEN
            v_effect := 'none';
          ELSE
            v_code := 'payment_conflict';
          END IF;
        END IF;
      END IF;

      IF v_key IS NOT NULL THEN
        -- isRemembered: every answer but a refusal, and a payment conflict.
        IF v_code IS NULL OR v_code = 'payment_conflict' THEN
          v_owner := v_owner || jsonb_build_object(v_key, i);
        ELSE
          DELETE FROM idempotency_records WHERE scope = p_scope[i] AND key_hash = p_key_hash[i];
        END IF;
      END IF;
      code := v_code; effect := v_effect;
      IF v_has THEN
        o_id := v_order.id; o_hold_id := v_order.hold_id; o_product_id := v_order.product_id; o_qty := v_order.qty;
        o_amount_cents := v_order.amount_cents; o_status := v_order.status; o_created_at := v_order.created_at;
        o_payment_deadline := v_order.payment_deadline; o_txn_id := v_order.txn_id;
      END IF;
      RETURN NEXT;
    EXCEPTION
      WHEN lock_not_available OR deadlock_detected OR serialization_failure THEN
        ord := i; result := 'left'; RETURN NEXT; RETURN;
      WHEN OTHERS THEN
        ord := i; result := 'error'; code := SQLSTATE; message := SQLERRM;
        o_id := NULL; effect := NULL;
        RETURN NEXT;
    END;
  END LOOP;
END;
$$;

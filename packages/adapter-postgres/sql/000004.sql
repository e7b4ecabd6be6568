-- 000004: a buyer may release a hold, so 'released' joins the statuses a hold may have.
-- A released hold is not active: its units are back in `available`, so conservation holds as is.
-- The constraint is replaced in one transaction (the migrator's): no moment allows another status.
-- Only the status CHECK of holds is touched, so this commutes with migrations that add columns
-- or indexes to holds or products.

ALTER TABLE holds DROP CONSTRAINT holds_status_check;
ALTER TABLE holds ADD CONSTRAINT holds_status_check CHECK (status IN ('active', 'converted', 'expired', 'released'));

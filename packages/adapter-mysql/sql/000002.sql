-- 000002: a buyer may release a hold, so 'released' joins the statuses a hold may have. A
-- released hold is not active: its units are back in `available`, so conservation holds as is.
-- One ALTER drops and re-adds the check, so no moment allows another status, and running it again
-- (after a crash before the version row was written) does the same again.
ALTER TABLE holds DROP CONSTRAINT holds_status_known, ADD CONSTRAINT holds_status_known CHECK (status IN ('active', 'converted', 'expired', 'released'));

-- 0010: a credit decision, and the credit event that made it, say whether
-- no limit was recorded before it (the customer master's credit_limit was
-- blank, migration 0008): old_limit is then 0 and means nothing. The
-- approval clears the master's flag, so only this keeps the blank for the
-- days before the decision. UInt8 (18.16 has no Bool). The rows stored
-- before read 0: their old limit as recorded, as they were read (whether a
-- 0 there was a blank is not in the store).
ALTER TABLE credit_decisions ADD COLUMN old_limit_blank UInt8 AFTER decided_by;

ALTER TABLE credit_events ADD COLUMN old_limit_blank UInt8 AFTER policy_currency;

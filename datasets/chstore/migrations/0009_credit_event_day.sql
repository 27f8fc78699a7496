-- 0009: the currency the credit policy's amounts were stated in when a
-- proposal was made ('' in the rows stored before), and the business day
-- a credit event counts on (an approval's decision
-- date), apart from event_time, the wall clock of the action: a server on
-- a fixed --as-of decides on that day at the time it is. 1970-01-01 (the
-- rows stored before) is none: the day of event_time.
ALTER TABLE credit_events ADD COLUMN business_day Date AFTER claim;

ALTER TABLE credit_events ADD COLUMN policy_currency String AFTER business_day;

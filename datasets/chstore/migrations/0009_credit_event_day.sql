-- 0009: the business day a credit event counts on (an approval's decision
-- date), apart from event_time, the wall clock of the action: a server on
-- a fixed --as-of decides on that day at the time it is. 1970-01-01 (the
-- rows stored before) is none: the day of event_time.
ALTER TABLE credit_events ADD COLUMN business_day Date AFTER claim;

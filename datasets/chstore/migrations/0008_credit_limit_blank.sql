-- 0008: a customer whose file left credit_limit empty has no limit
-- recorded, which is not a limit of 0.00 (no credit); credit_limit is 0
-- then and this flag says so. A flag column, not Nullable(Decimal): the
-- column reads and writes as every other (18.16 has no Bool: UInt8), and
-- the rows stored before read 0, a limit as recorded, as they were read.
ALTER TABLE customers ADD COLUMN credit_limit_blank UInt8 AFTER collector;

-- 0007: the credit notes in the invoice match (0005), so that the SQL
-- feature engine no longer joins every match row to the credit notes at
-- each query (features/sql/ledger.sql; on the 1M-invoice benchmark ledger
-- that join cost the server about 0.15 s of CPU per feature query).
--
-- Each row carries the credit notes that name its invoice id, as parallel
-- arrays: the note's date (day number), amount (Int64 cents) and id. A
-- note is linked to its invoice by invoice_id alone, whatever customer it
-- is filed under (as the Go engine files it), so it is read from the
-- whole ledger; readers date the notes themselves. The ids let a sync find
-- the rows a note leaves when it names another invoice (match.go).
--
-- Migrating to this version rebuilds the whole match: a match is marked
-- built in the layout of the build that wrote it (match_mark.sql), and
-- one without the mark of this layout reads as not built.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS: Migrate takes an ADD COLUMN that
-- finds its column already there as applied, so each column is added by a
-- statement of its own.
ALTER TABLE invoice_match ADD COLUMN credit_days Array(Int32) AFTER records;

ALTER TABLE invoice_match ADD COLUMN credit_cents Array(Int64) AFTER credit_days;

ALTER TABLE invoice_match ADD COLUMN credit_ids Array(String) AFTER credit_cents;

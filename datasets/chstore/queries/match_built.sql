-- How far this server's invoice match is built (match.go): the highest
-- version of its rows, the row of customer id '' included, which every
-- sync writes; 0 (not built) unless a sync has marked it built in this
-- build's layout (@format, match_mark.sql), so that a match written
-- without the columns a later migration added is rebuilt whole. The
-- argument is the database of this server's tables.
SELECT if(countIf(customer_id = '' AND invoice_id = @format) = 0, toUInt64(0), max(version)) FROM %[1]s.invoice_match

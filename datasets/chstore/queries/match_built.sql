-- How far this server's invoice match is built (match.go): the highest
-- version of its rows, the row of customer id '' included, which every
-- sync writes. The argument is the database of this server's tables.
SELECT max(version) FROM %[1]s.invoice_match

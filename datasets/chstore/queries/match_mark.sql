-- Records on this server that its invoice match is built up to version
-- @mark (match.go): the row of customer id '', which no ledger record has,
-- with no records, so that every reader takes it as no row; its invoice
-- id names the layout of the rows (@format, match_built.sql). The argument
-- is the database of this server's tables.
INSERT INTO %[1]s.invoice_match (customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents,
    disputed, country, segment, channel, pay_days, pay_cents, action_days, promise_days, promised_days, promise_cents, source_ids, records,
    credit_days, credit_cents, credit_ids, version)
SELECT '', @format, toUInt8(0), toInt32(0), toInt32(0), toInt32(0), toInt64(0),
    toUInt8(0), '', '', '', emptyArrayInt32(), emptyArrayInt64(), emptyArrayInt32(), emptyArrayInt32(), emptyArrayInt32(), emptyArrayInt64(),
    emptyArrayString(), toUInt32(0), emptyArrayInt32(), emptyArrayInt64(), emptyArrayString(), toUInt64(@mark)

-- The payloads of the claim views whose names match the bound regular
-- expression, with the view's name.
SELECT _table, payload FROM merge(currentDatabase(), ?)

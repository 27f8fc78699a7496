-- The payloads of the claim views of the bound database whose names match
-- the bound regular expression, with the view's name.
SELECT _table, payload FROM merge(?, ?)

-- The claim views, in the bound database, whose names start with the bound prefix: one per decided
-- proposal (credit.go).
SELECT name FROM system.tables WHERE database = ? AND startsWith(name, ?) ORDER BY name

-- The claim views whose names start with the bound prefix: one per decided
-- proposal (credit.go).
SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, ?) ORDER BY name

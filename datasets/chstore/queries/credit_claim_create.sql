-- The test-and-set of a decision: CREATE VIEW without IF NOT EXISTS fails
-- when the view exists, and the server creates a table name once (its DDL
-- guard serialises creations of one name; the metadata file is written and
-- renamed into place). {name} is replaced by the claim's name, the bound
-- value is the decision as JSON.
CREATE VIEW {name} AS SELECT ? AS payload

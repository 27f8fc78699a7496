-- Bookkeeping of applied migrations; created by Migrate before anything else.
-- Plain MergeTree: a version recorded twice (two racing migrations) is
-- harmless because it is read back with DISTINCT.
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    applied_at DateTime
)
ENGINE = MergeTree
ORDER BY version

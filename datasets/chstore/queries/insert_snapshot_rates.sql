-- {db} is the database of the local tables (snapshots.go writes to the
-- shard of the snapshot's id on a cluster, as the snapshot's weeks).
INSERT INTO {db}.forecast_snapshot_rates (snapshot_id, currency, rate, reporting, version)

-- {db} is the database of the local tables (snapshots.go writes to the
-- shard of the snapshot's id on a cluster).
INSERT INTO {db}.forecast_snapshots (snapshot_id, week, as_of, created_at, currency, model, invoices, outstanding,
    week_start, week_end, open_mean, open_p10, open_p50, open_p90, new_mean, new_p10, new_p50, new_p90, version)

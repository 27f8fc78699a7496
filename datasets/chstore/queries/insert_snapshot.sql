-- {db} is the database of the local tables (snapshots.go writes to the
-- shard of the snapshot's id on a cluster). total_kept and the total_*
-- bands (migration 0011) repeat on every week's row.
INSERT INTO {db}.forecast_snapshots (snapshot_id, week, as_of, created_at, currency, model, invoices, outstanding,
    week_start, week_end, open_mean, open_p10, open_p50, open_p90, new_mean, new_p10, new_p50, new_p90,
    total_kept, total_open_mean, total_open_p10, total_open_p50, total_open_p90,
    total_new_mean, total_new_p10, total_new_p50, total_new_p90,
    total_all_mean, total_all_p10, total_all_p50, total_all_p90, version)

-- Every saved forecast, each only in its latest version (see migration
-- 0003), oldest first: all of them when the bound id is empty, else that one.
SELECT snapshot_id, week, as_of, created_at, currency, model, invoices, outstanding,
       week_start, week_end, open_mean, open_p10, open_p50, open_p90, new_mean, new_p10, new_p50, new_p90
FROM forecast_snapshots FINAL
WHERE (snapshot_id, version) IN (SELECT snapshot_id, max(version) FROM forecast_snapshots GROUP BY snapshot_id)
  AND (? = '' OR snapshot_id = ?)
ORDER BY created_at, snapshot_id, week

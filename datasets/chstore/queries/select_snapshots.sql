-- Every saved forecast, each only in its latest version (see migration
-- 0003), oldest first: all of them when the bound id is empty, else that one.
-- GLOBAL IN: on a cluster the initiator computes the (small) list of latest
-- versions once over the Distributed table and sends it to every shard (a
-- plain IN over a Distributed table is refused there); on one server it is
-- a plain IN. 18.16 cannot take distributed_product_mode as a per-query
-- setting (string settings are not on its protocol). The total band
-- (migration 0011) repeats on every week's row; total_kept 0 is a
-- snapshot saved before snapshots kept it.
SELECT snapshot_id, week, as_of, created_at, currency, model, invoices, outstanding,
       week_start, week_end, open_mean, open_p10, open_p50, open_p90, new_mean, new_p10, new_p50, new_p90,
       total_kept, total_open_mean, total_open_p10, total_open_p50, total_open_p90,
       total_new_mean, total_new_p10, total_new_p50, total_new_p90,
       total_all_mean, total_all_p10, total_all_p50, total_all_p90
FROM forecast_snapshots FINAL
WHERE (snapshot_id, version) GLOBAL IN (SELECT snapshot_id, max(version) FROM forecast_snapshots GROUP BY snapshot_id)
  AND (? = '' OR snapshot_id = ?)
ORDER BY created_at, snapshot_id, week

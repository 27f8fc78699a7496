-- The rates of every saved forecast's latest version (see migrations 0003
-- and 0006): all of them when the bound id is empty, else that one's. A
-- snapshot without rows was saved without them. GLOBAL IN as in
-- select_snapshots.sql.
SELECT snapshot_id, currency, rate, reporting
FROM forecast_snapshot_rates
WHERE (snapshot_id, version) GLOBAL IN (SELECT snapshot_id, max(version) FROM forecast_snapshots GROUP BY snapshot_id)
  AND (? = '' OR snapshot_id = ?)
ORDER BY snapshot_id, currency

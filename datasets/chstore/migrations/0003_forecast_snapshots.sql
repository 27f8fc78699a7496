-- 0003: saved cash-receipts forecasts (dsopilot forecast snapshot), one row
-- per snapshot and week.
--
-- ReplacingMergeTree(version) ordered by (snapshot_id, week): saving a
-- snapshot again writes every week with one new version, and readers keep,
-- per snapshot, only the rows of its highest version, so a snapshot saved
-- again with fewer weeks leaves no stale week behind. The snapshot's own
-- fields repeat on each of its rows; money is Decimal(18, 2) as in 0001.
--
-- A snapshot is portfolio-wide (no customer_id): a cluster shards by
-- snapshot_id, so all weeks and versions of one snapshot live on one shard
-- and ReplacingMergeTree can collapse its versions there.

-- cluster: shard by snapshot_id
CREATE TABLE IF NOT EXISTS forecast_snapshots
(
    snapshot_id  String,
    week         UInt16,
    as_of        Date,
    created_at   DateTime,
    currency     String,
    model        String,
    invoices     UInt32,
    outstanding  Decimal(18, 2),
    week_start   Date,
    week_end     Date,
    open_mean    Decimal(18, 2),
    open_p10     Decimal(18, 2),
    open_p50     Decimal(18, 2),
    open_p90     Decimal(18, 2),
    new_mean     Decimal(18, 2),
    new_p10      Decimal(18, 2),
    new_p50      Decimal(18, 2),
    new_p90      Decimal(18, 2),
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (snapshot_id, week);

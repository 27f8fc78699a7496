-- 0006: the exchange rates a saved forecast was made with (dsopilot
-- forecast snapshot --currency CUR --fx FILE), one row per snapshot and
-- currency, so that forecast compare converts what came in since at the
-- snapshot's own rates: a move in rates is then not counted as forecast
-- error.
--
-- reporting is the currency the rates convert to (the snapshot's
-- currency). Every snapshot saved with a reporting currency has a row for
-- that currency itself at rate 1, so a snapshot converted without other
-- rates (its ledger was all in the reporting currency) is told apart from
-- one saved before this table, which has no row at all and keeps the
-- warned behaviour of those. rate is what one unit of currency is worth
-- in reporting, exact to the billionth as datasets.Rate.
--
-- The rows carry the version of the snapshot's weeks (0003) and are
-- written before them: readers keep the rates of the snapshot's latest
-- version only, so rates of a save whose weeks never arrived, or of an
-- earlier save with other currencies, are never read. A plain MergeTree
-- with the version in its key: a row is never replaced, since the rates
-- of a save whose weeks failed must not replace those the weeks in force
-- were saved with (a snapshot is saved once a week or so: the table stays
-- small). Sharded by snapshot_id as 0003, so a snapshot's rates live on
-- its weeks' shard.

-- cluster: shard by snapshot_id
CREATE TABLE IF NOT EXISTS forecast_snapshot_rates
(
    snapshot_id  String,
    currency     String,
    rate         Decimal(18, 9),
    reporting    String,
    version      UInt64
)
ENGINE = MergeTree
ORDER BY (snapshot_id, version, currency);

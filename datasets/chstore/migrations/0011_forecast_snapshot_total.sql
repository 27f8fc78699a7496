-- 0011: a saved forecast keeps the band of its total over its weeks
-- (dsopilot forecast compare lines the total received up against it): the
-- mean and P10/P50/P90 of the open book's, the new business's and both
-- together, the percentiles of each simulated path's sum, which the weeks'
-- bands do not give (the P90 of a sum is not the sum of the P90s).
--
-- The columns repeat on each of the snapshot's weekly rows (0003), as its
-- other fields do, so the band is written and replaced with its weeks in
-- one insert. total_kept is 1 on every row written since; the rows of a
-- snapshot saved before read 0 there and 0.00 in the amounts, which the
-- store reads as no band kept, never as a band of zeros. UInt8 (18.16 has
-- no Bool); money Decimal(18, 2) as in 0001. One column per statement, so
-- that a migration interrupted halfway re-runs (an ADD COLUMN of an
-- existing column is skipped) and completes.
ALTER TABLE forecast_snapshots ADD COLUMN total_kept UInt8 AFTER new_p90;

ALTER TABLE forecast_snapshots ADD COLUMN total_open_mean Decimal(18, 2) AFTER total_kept;

ALTER TABLE forecast_snapshots ADD COLUMN total_open_p10 Decimal(18, 2) AFTER total_open_mean;

ALTER TABLE forecast_snapshots ADD COLUMN total_open_p50 Decimal(18, 2) AFTER total_open_p10;

ALTER TABLE forecast_snapshots ADD COLUMN total_open_p90 Decimal(18, 2) AFTER total_open_p50;

ALTER TABLE forecast_snapshots ADD COLUMN total_new_mean Decimal(18, 2) AFTER total_open_p90;

ALTER TABLE forecast_snapshots ADD COLUMN total_new_p10 Decimal(18, 2) AFTER total_new_mean;

ALTER TABLE forecast_snapshots ADD COLUMN total_new_p50 Decimal(18, 2) AFTER total_new_p10;

ALTER TABLE forecast_snapshots ADD COLUMN total_new_p90 Decimal(18, 2) AFTER total_new_p50;

ALTER TABLE forecast_snapshots ADD COLUMN total_all_mean Decimal(18, 2) AFTER total_new_p90;

ALTER TABLE forecast_snapshots ADD COLUMN total_all_p10 Decimal(18, 2) AFTER total_all_mean;

ALTER TABLE forecast_snapshots ADD COLUMN total_all_p50 Decimal(18, 2) AFTER total_all_p10;

ALTER TABLE forecast_snapshots ADD COLUMN total_all_p90 Decimal(18, 2) AFTER total_all_p50;

-- 0002: the collector working a customer's account, the policy that chose a
-- dunning action and the probability it chose it with, and the reports of
-- credit-information providers.
--
-- 18.16 has no ADD COLUMN IF NOT EXISTS: Migrate takes an ADD COLUMN that
-- finds its column already there as applied, so each column is added by a
-- statement of its own.
ALTER TABLE customers ADD COLUMN collector String AFTER since;

ALTER TABLE actions ADD COLUMN policy String AFTER outcome;

-- 0 is unknown: a propensity is a probability in (0, 1].
ALTER TABLE actions ADD COLUMN propensity Float64 AFTER policy;

-- financial_id is the export's own id, or customer_id|report_date|source.
-- report_date is the day the provider issued the report. score is NaN when
-- the provider gives none (no Nullable columns in this schema).
-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS financials
(
    financial_id       String,
    customer_id        String,
    report_date        Date,
    tangible_net_worth Decimal(18, 2),
    turnover           Decimal(18, 2),
    rating             String,
    score              Float64,
    source             String,
    version            UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY financial_id;

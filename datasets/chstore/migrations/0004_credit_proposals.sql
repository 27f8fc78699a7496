-- 0004: the credit-limit workflow's event log of limit proposals (see
-- credit.go).
--
-- Append-only: a proposal is one row (event_id proposal/1) and its decision
-- another (proposal/2); nothing is ever updated in place. An event written
-- again (a repair after an interruption) has the same id and collapses
-- under FINAL.
-- Which decision won a race is not decided here but by the claim views
-- credit_claim_<customer hash>_<n>, created by the workflow itself.
-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS credit_events
(
    event_id    String,
    proposal_id String,
    customer_id String,
    kind        String,
    event_time  DateTime,
    currency    String,
    old_limit   Decimal(18, 2),
    new_limit   Decimal(18, 2),
    secured     Decimal(18, 2),
    reason      String,
    source      String,
    risk_class  String,
    review_date Date,
    expires     Date,
    actor       String,
    role        String,
    comment     String,
    decision_id String,
    claim       UInt32,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY event_id;

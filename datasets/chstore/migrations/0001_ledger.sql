-- 0001: one table per ledger entity.
--
-- Conventions (see the package documentation for the reasoning):
--   * ReplacingMergeTree(version) ordered by the natural id only, so that
--     reading with FINAL yields one row per id: the one with the highest
--     version, which Put sets to a per-row value that only ever grows.
--   * No PARTITION BY: FINAL deduplicates within a partition only, and every
--     date of a record may change between two exports of the same id.
--   * Unset dates are stored as 1970-01-01 (day 0), exactly like
--     datasets.Date's zero value; no Nullable columns.
--   * Money is Decimal(18, 2), booleans UInt8, payment-term days UInt16.
--   * Every statement is idempotent (IF NOT EXISTS): a migration that ran but
--     was not recorded is simply run again.
--   * Every table says how a cluster shards it ("-- cluster: shard by
--     customer_id"): all rows about one customer live on one shard.

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS customers
(
    customer_id  String,
    name         String,
    segment      String,
    country      String,
    currency     String,
    credit_limit Decimal(18, 2),
    terms_days   UInt16,
    terms_eom    UInt8,
    channel      String,
    since        Date,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY customer_id;

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS invoices
(
    invoice_id   String,
    customer_id  String,
    issue_date   Date,
    due_date     Date,
    amount       Decimal(18, 2),
    currency     String,
    settled_date Date,
    disputed     UInt8,
    country      String,
    segment      String,
    channel      String,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY invoice_id;

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS payments
(
    payment_id   String,
    customer_id  String,
    invoice_id   String,
    payment_date Date,
    amount       Decimal(18, 2),
    currency     String,
    version      UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY payment_id;

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS credit_notes
(
    credit_note_id String,
    customer_id    String,
    invoice_id     String,
    note_date      Date,
    amount         Decimal(18, 2),
    kind           String,
    reason         String,
    version        UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY credit_note_id;

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS disputes
(
    dispute_id    String,
    customer_id   String,
    invoice_id    String,
    opened_date   Date,
    resolved_date Date,
    reason        String,
    amount        Decimal(18, 2),
    outcome       String,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY dispute_id;

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS actions
(
    action_id   String,
    customer_id String,
    invoice_id  String,
    action_date Date,
    action_type String,
    channel     String,
    outcome     String,
    version     UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY action_id;

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS promises
(
    promise_id    String,
    customer_id   String,
    invoice_id    String,
    made_date     Date,
    promised_date Date,
    amount        Decimal(18, 2),
    status        String,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY promise_id;

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS credit_decisions
(
    decision_id   String,
    customer_id   String,
    decision_date Date,
    old_limit     Decimal(18, 2),
    new_limit     Decimal(18, 2),
    reason        String,
    decided_by    String,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY decision_id;

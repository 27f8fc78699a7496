-- {db} is the database of the local tables (credit.go sends each event to
-- its customer's shard on a cluster).
INSERT INTO {db}.credit_events (event_id, proposal_id, customer_id, kind, event_time, currency, old_limit, new_limit, secured,
                           reason, source, risk_class, review_date, expires, actor, role, comment, decision_id, claim, business_day, policy_currency, old_limit_blank, version)

-- The credit workflow's events, deduplicated; all of them when the customer
-- is '' (bound twice), else that customer's.
SELECT event_id, proposal_id, customer_id, kind, event_time, currency, old_limit, new_limit, secured,
       reason, source, risk_class, review_date, expires, actor, role, comment, decision_id, claim, business_day, policy_currency, old_limit_blank
FROM credit_events FINAL
WHERE ? = '' OR customer_id = ?
ORDER BY event_id

-- The floor of the feature queries (BenchmarkSQLFloor): a single pass over
-- the invoices, deduplicated and grouped by customer.
SELECT customer_id, count(), sum(amount), max(issue_date), min(due_date), avg(toFloat64(amount))
FROM invoices FINAL
GROUP BY customer_id

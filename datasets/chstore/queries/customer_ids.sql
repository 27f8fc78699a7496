SELECT customer_id FROM customers FINAL ORDER BY customer_id

SELECT count() FROM credit_events FINAL WHERE event_id = ?

DROP INDEX event_outbox_aggregate_idx;
CREATE INDEX event_outbox_aggregate_idx ON event_outbox (aggregate_key, id);
DROP INDEX event_outbox_pending_idx;
CREATE INDEX event_outbox_due_idx ON event_outbox (delivered_at, next_attempt_at);

DROP INDEX event_outbox_pending_idx ON event_outbox;
CREATE INDEX event_outbox_due_idx ON event_outbox (delivered_at, next_attempt_at);

DROP TABLE event_idempotency_keys;
DROP TABLE event_outbox;

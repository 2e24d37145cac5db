-- The transactional outbox of audit events (`server/src/events/`): a row is written in
-- the transaction of the change it reports, so it exists iff that change committed. The
-- delivery worker claims rows (`lease_owner`, `lease_until`: a killed node's claims
-- expire; `FOR UPDATE SKIP LOCKED` between nodes), sends `envelope` (a CloudEvents 1.0
-- JSON document) to the sinks, and sets `delivered_at`; a row waits while an older one
-- of its `aggregate_key` is undelivered. `id` is a UUIDv7, COLLATE "C" so byte order is
-- creation order, as on SQLite and MySQL.
CREATE TABLE event_outbox (
    id VARCHAR(36) COLLATE "C" NOT NULL PRIMARY KEY,
    aggregate_key VARCHAR(255) COLLATE "C" NOT NULL,
    event_type VARCHAR(64) COLLATE "C" NOT NULL,
    envelope TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner VARCHAR(64) NULL,
    lease_until TIMESTAMP NULL,
    delivered_at TIMESTAMP NULL
);
-- The worker's scan of what is due, and the janitor's purge of what was delivered.
CREATE INDEX event_outbox_due_idx ON event_outbox (delivered_at, next_attempt_at);
-- "Is an older event of this aggregate still undelivered?"
CREATE INDEX event_outbox_aggregate_idx ON event_outbox (aggregate_key, id);
-- `Idempotency-Key` headers of `POST /admin/events/ingest`, so a retried ingest is
-- answered as a duplicate instead of queued twice.
CREATE TABLE event_idempotency_keys (
    idempotency_key VARCHAR(255) COLLATE "C" NOT NULL PRIMARY KEY,
    event_id VARCHAR(36) COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX event_idempotency_keys_created_idx ON event_idempotency_keys (created_at);

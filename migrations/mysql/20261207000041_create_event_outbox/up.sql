-- The transactional outbox of audit events (`server/src/events/`): a row is written in
-- the transaction of the change it reports, so it exists iff that change committed. The
-- delivery worker claims rows (`lease_owner`, `lease_until`: a killed node's claims
-- expire; `FOR UPDATE SKIP LOCKED` between nodes), sends `envelope` (a CloudEvents 1.0
-- JSON document) to the sinks, and sets `delivered_at`; a row waits while an older one
-- of its `aggregate_key` is undelivered. `id` is a UUIDv7; utf8mb4_bin keeps byte order,
-- which is creation order, as on SQLite and PostgreSQL.
CREATE TABLE event_outbox (
    id VARCHAR(36) NOT NULL,
    aggregate_key VARCHAR(255) NOT NULL,
    event_type VARCHAR(64) NOT NULL,
    envelope MEDIUMTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at DATETIME(6) NOT NULL,
    lease_owner VARCHAR(64) NULL,
    lease_until DATETIME(6) NULL,
    delivered_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    -- The worker's scan of what is due, and the janitor's purge of what was delivered.
    INDEX event_outbox_due_idx (delivered_at, next_attempt_at),
    -- "Is an older event of this aggregate still undelivered?"
    INDEX event_outbox_aggregate_idx (aggregate_key, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
-- `Idempotency-Key` headers of `POST /admin/events/ingest`, so a retried ingest is
-- answered as a duplicate instead of queued twice.
CREATE TABLE event_idempotency_keys (
    idempotency_key VARCHAR(255) NOT NULL,
    event_id VARCHAR(36) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (idempotency_key),
    INDEX event_idempotency_keys_created_idx (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The delivery worker claims the oldest undelivered events (`delivered_at IS NULL ORDER
-- BY id LIMIT n`). Over (delivered_at, next_attempt_at) that query read every pending
-- row, checked each for an older event of its aggregate and sorted them all, so a claim
-- cost grew with the backlog (on SQLite it runs on the single writer: 14% of the
-- server's CPU under the events benchmark). Over (delivered_at, id) it walks the
-- pending rows in id order and stops after n (docs/benchmarks.md, "Audit events"). The
-- janitor's purge (`delivered_at < ?`) uses the same index.
DROP INDEX event_outbox_due_idx;
CREATE INDEX event_outbox_pending_idx ON event_outbox (delivered_at, id);
-- "Is an older event of this aggregate undelivered?" asks only about undelivered
-- events: indexing those alone keeps the index to the backlog's few pages, where over
-- every event each insert dirtied a random page of a growing index (aggregate keys are
-- random token family ids). MySQL has no partial indexes and keeps the full one.
DROP INDEX event_outbox_aggregate_idx;
CREATE INDEX event_outbox_aggregate_idx ON event_outbox (aggregate_key, id) WHERE delivered_at IS NULL;

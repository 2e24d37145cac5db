-- Upstream identities linked to local users (`users::identity`, issue 22 §1): one row
-- per (provider id, the upstream's `sub`), pointing at the local subject. Deleting the
-- user deletes its links.
CREATE TABLE user_identities (
    provider VARCHAR(64) NOT NULL,
    upstream_subject VARCHAR(255) NOT NULL,
    user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, upstream_subject)
);
CREATE INDEX user_identities_user_id_idx ON user_identities (user_id);

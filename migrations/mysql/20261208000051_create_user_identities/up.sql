-- Upstream identities linked to local users (`users::identity`, issue 22 §1): one row
-- per (provider id, the upstream's `sub`), pointing at the local subject. Deleting the
-- user deletes its links. utf8mb4_bin: byte-wise equality, as on SQLite and PostgreSQL.
CREATE TABLE user_identities (
    provider VARCHAR(64) NOT NULL,
    upstream_subject VARCHAR(255) NOT NULL,
    user_id VARCHAR(36) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (provider, upstream_subject),
    INDEX user_identities_user_id_idx (user_id),
    CONSTRAINT user_identities_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

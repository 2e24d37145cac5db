-- Opaque tokens (access, refresh, authorization code): one row per token, keyed by the
-- hex SHA-256 of the token's MAC, never the token itself. `family_id` groups the tokens
-- one grant issued; revocation works on families. `session` and `request_data` are
-- sealed (XChaCha20-Poly1305) by the server before they reach the database.
-- utf8mb4_bin like clients, whose id client_id references. MEDIUMTEXT for the sealed
-- session, which later carries ID token claims and may outgrow TEXT's 64 KiB.
CREATE TABLE oauth2_tokens (
    signature_hash VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    family_id VARCHAR(36) NOT NULL,
    client_id VARCHAR(255) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    granted_scope TEXT NOT NULL,
    granted_audience TEXT NOT NULL,
    session MEDIUMTEXT NOT NULL,
    request_data MEDIUMTEXT NULL,
    issued_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    active BOOLEAN NOT NULL,
    used_at DATETIME(6) NULL,
    PRIMARY KEY (signature_hash),
    INDEX oauth2_tokens_family_id_idx (family_id),
    INDEX oauth2_tokens_client_id_idx (client_id, kind),
    INDEX oauth2_tokens_expires_at_idx (expires_at),
    INDEX oauth2_tokens_client_subject_idx (client_id, subject),
    CONSTRAINT oauth2_tokens_client_id_fk FOREIGN KEY (client_id)
        REFERENCES clients (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

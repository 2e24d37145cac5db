-- Used client assertion ids (`storage::jti`, RFC 7523 §3): replay protection for
-- private_key_jwt. `id` is the hex SHA-256 of (client_id, jti); a row lives until the
-- assertion's `exp`.
CREATE TABLE oauth2_jti (
    id VARCHAR(64) NOT NULL,
    client_id VARCHAR(255) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    INDEX oauth2_jti_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

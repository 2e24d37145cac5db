-- Used client assertion ids (`storage::jti`, RFC 7523 §3): replay protection for
-- private_key_jwt. `id` is the hex SHA-256 of (client_id, jti); a row lives until the
-- assertion's `exp`.
CREATE TABLE oauth2_jti (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    client_id VARCHAR(255) NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX oauth2_jti_expires_at_idx ON oauth2_jti (expires_at);

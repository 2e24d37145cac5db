-- Opaque tokens (access, refresh, authorization code): one row per token, keyed by the
-- hex SHA-256 of the token's MAC, never the token itself. `family_id` groups the tokens
-- one grant issued; revocation works on families. `session` and `request_data` are
-- sealed (XChaCha20-Poly1305) by the server before they reach the database.
CREATE TABLE oauth2_tokens (
    signature_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    kind VARCHAR(32) NOT NULL,
    family_id VARCHAR(36) NOT NULL,
    client_id VARCHAR(255) NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    subject VARCHAR(255) NOT NULL,
    granted_scope TEXT NOT NULL,
    granted_audience TEXT NOT NULL,
    session TEXT NOT NULL,
    request_data TEXT NULL,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    active BOOLEAN NOT NULL,
    used_at TIMESTAMP NULL
);
CREATE INDEX oauth2_tokens_family_id_idx ON oauth2_tokens (family_id);
-- (client_id, kind) serves "delete a client's access tokens" and the cascade.
CREATE INDEX oauth2_tokens_client_id_idx ON oauth2_tokens (client_id, kind);
-- The janitor deletes by expiry.
CREATE INDEX oauth2_tokens_expires_at_idx ON oauth2_tokens (expires_at);
-- Revoking a subject's tokens for a client (consent revocation, logout).
CREATE INDEX oauth2_tokens_client_subject_idx ON oauth2_tokens (client_id, subject);

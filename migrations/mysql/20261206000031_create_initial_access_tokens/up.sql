-- Initial access tokens an operator created over the admin API (RFC 7591 §3,
-- `client::initial_access::InitialAccessTokenStore`). `token_hash` is the SHA-256 of
-- the token (as registration access tokens are kept), the lookup key; `max_uses` NULL
-- means any number of registrations until `expires_at`. utf8mb4_bin: case-sensitive,
-- byte-ordered, as on SQLite and PostgreSQL.
CREATE TABLE oauth2_initial_access_tokens (
    id VARCHAR(36) NOT NULL,
    token_hash VARCHAR(64) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    max_uses BIGINT NULL,
    uses BIGINT NOT NULL,
    PRIMARY KEY (id),
    UNIQUE INDEX oauth2_initial_access_tokens_hash_idx (token_hash),
    INDEX oauth2_initial_access_tokens_expires_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Initial access tokens an operator created over the admin API (RFC 7591 §3,
-- `client::initial_access::InitialAccessTokenStore`). `token_hash` is the SHA-256 of
-- the token (as registration access tokens are kept), the lookup key; `max_uses` NULL
-- means any number of registrations until `expires_at`.
CREATE TABLE oauth2_initial_access_tokens (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    token_hash VARCHAR(64) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    max_uses BIGINT NULL,
    uses BIGINT NOT NULL
);
CREATE UNIQUE INDEX oauth2_initial_access_tokens_hash_idx
    ON oauth2_initial_access_tokens (token_hash);
-- The janitor deletes by expiry.
CREATE INDEX oauth2_initial_access_tokens_expires_idx
    ON oauth2_initial_access_tokens (expires_at);

-- Pushed authorization requests (`storage::pushed_requests`, RFC 9126): `id` is the hex
-- SHA-256 of the random part of the request_uri; `parameters` the validated request as a
-- JSON array of [name, value] pairs; a row lives until it is used once or expires.
CREATE TABLE oauth2_pushed_requests (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    client_id VARCHAR(255) NOT NULL,
    parameters TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX oauth2_pushed_requests_expires_at_idx ON oauth2_pushed_requests (expires_at);

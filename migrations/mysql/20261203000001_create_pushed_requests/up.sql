-- Pushed authorization requests (`storage::pushed_requests`, RFC 9126): `id` is the hex
-- SHA-256 of the random part of the request_uri; `parameters` the validated request as a
-- JSON array of [name, value] pairs; a row lives until it is used once or expires.
CREATE TABLE oauth2_pushed_requests (
    id VARCHAR(64) NOT NULL,
    client_id VARCHAR(255) NOT NULL,
    parameters MEDIUMTEXT NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    INDEX oauth2_pushed_requests_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

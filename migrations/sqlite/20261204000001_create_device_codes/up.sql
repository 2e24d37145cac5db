-- Device authorizations (`storage::device_codes`, RFC 8628): `device_code_key` is the hex
-- SHA-256 of the device code, `user_code_key` the hex HMAC of the normalized user code
-- (neither code is stored); a row lives until the janitor removes it after `expires_at`.
CREATE TABLE oauth2_device_codes (
    device_code_key VARCHAR(64) NOT NULL PRIMARY KEY,
    user_code_key VARCHAR(64) NOT NULL,
    client_id VARCHAR(255) NOT NULL,
    requested_scope TEXT NOT NULL,
    requested_audience TEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    approval TEXT,
    interval_secs BIGINT NOT NULL,
    next_poll_at TIMESTAMP NOT NULL,
    polls BIGINT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX oauth2_device_codes_user_code_key_idx ON oauth2_device_codes (user_code_key);
CREATE INDEX oauth2_device_codes_expires_at_idx ON oauth2_device_codes (expires_at);

-- User-code attempts per device challenge (RFC 8628 §5.1, brute force).
CREATE TABLE oauth2_device_attempts (
    challenge_id VARCHAR(64) NOT NULL PRIMARY KEY,
    attempts BIGINT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX oauth2_device_attempts_expires_at_idx ON oauth2_device_attempts (expires_at);

-- Device authorizations (`storage::device_codes`, RFC 8628): `device_code_key` is the hex
-- SHA-256 of the device code, `user_code_key` the hex HMAC of the normalized user code
-- (neither code is stored); a row lives until the janitor removes it after `expires_at`.
CREATE TABLE oauth2_device_codes (
    device_code_key VARCHAR(64) NOT NULL,
    user_code_key VARCHAR(64) NOT NULL,
    client_id VARCHAR(255) NOT NULL,
    requested_scope MEDIUMTEXT NOT NULL,
    requested_audience MEDIUMTEXT NOT NULL,
    state VARCHAR(16) NOT NULL,
    approval MEDIUMTEXT,
    interval_secs BIGINT NOT NULL,
    next_poll_at DATETIME(6) NOT NULL,
    polls BIGINT NOT NULL,
    requested_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (device_code_key),
    UNIQUE INDEX oauth2_device_codes_user_code_key_idx (user_code_key),
    INDEX oauth2_device_codes_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- User-code attempts per device challenge (RFC 8628 §5.1, brute force).
CREATE TABLE oauth2_device_attempts (
    challenge_id VARCHAR(64) NOT NULL,
    attempts BIGINT NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (challenge_id),
    INDEX oauth2_device_attempts_expires_at_idx (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Trusted issuers of JWT authorization grants (`trust::TrustStore`, RFC 7523 §2.1;
-- Hydra's trust API). `subject` is '' when allow_any_subject; one row per
-- (issuer, subject, kid). `scope` is space-separated, `public_jwk` the issuer's public
-- JWK as JSON (MEDIUMTEXT: an RSA key with an x5c chain can pass 64 KiB).
-- utf8mb4_bin: case-sensitive, byte-ordered, as on SQLite and PostgreSQL. The unique
-- index is 3 × 255 × 4 = 3060 bytes, within InnoDB's 3072.
CREATE TABLE oauth2_trusted_jwt_issuers (
    id VARCHAR(36) NOT NULL,
    issuer VARCHAR(255) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    allow_any_subject BOOLEAN NOT NULL,
    scope TEXT NOT NULL,
    kid VARCHAR(255) NOT NULL,
    public_jwk MEDIUMTEXT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE INDEX oauth2_trusted_jwt_issuers_key_idx (issuer, subject, kid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

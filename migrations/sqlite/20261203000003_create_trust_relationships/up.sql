-- Trusted issuers of JWT authorization grants (`trust::TrustStore`, RFC 7523 §2.1;
-- Hydra's trust API). `subject` is '' when allow_any_subject; one row per
-- (issuer, subject, kid). `scope` is space-separated, `public_jwk` the issuer's public
-- JWK as JSON. TEXT compares byte-wise in SQLite, as the other backends are set to.
CREATE TABLE oauth2_trusted_jwt_issuers (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    issuer VARCHAR(255) NOT NULL,
    subject VARCHAR(255) NOT NULL,
    allow_any_subject BOOLEAN NOT NULL,
    scope TEXT NOT NULL,
    kid VARCHAR(255) NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- The duplicate rule of the port, and the grant's lookup by (issuer, subject, kid).
CREATE UNIQUE INDEX oauth2_trusted_jwt_issuers_key_idx
    ON oauth2_trusted_jwt_issuers (issuer, subject, kid);

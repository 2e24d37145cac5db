-- JSON Web Key Sets (RFC 7517 §5), one row per key. private_jwk_sealed is the private
-- JWK sealed with the system secret (never in the clear); public_jwk holds only public
-- members. A key is published from created_at, signs from not_before, and stops
-- signing at retired_at while staying published.
-- utf8mb4_bin: kids are case-sensitive (RFC 7517 §4.5) and ordered by code point, as on
-- SQLite and PostgreSQL. MEDIUMTEXT: a sealed RSA-4096 private JWK is ~5 KiB, but an
-- admin may PUT keys with long x5c chains.
CREATE TABLE json_web_keys (
    set_id VARCHAR(255) NOT NULL,
    kid VARCHAR(255) NOT NULL,
    alg VARCHAR(32) NOT NULL,
    use_ VARCHAR(8) NOT NULL,
    public_jwk MEDIUMTEXT NOT NULL,
    private_jwk_sealed MEDIUMTEXT NULL,
    created_at DATETIME(6) NOT NULL,
    not_before DATETIME(6) NOT NULL,
    retired_at DATETIME(6) NULL,
    PRIMARY KEY (set_id, kid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

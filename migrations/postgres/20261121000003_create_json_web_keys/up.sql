-- JSON Web Key Sets (RFC 7517 §5), one row per key. private_jwk_sealed is the private
-- JWK sealed with the system secret (never in the clear); public_jwk holds only public
-- members. A key is published from created_at, signs from not_before, and stops
-- signing at retired_at while staying published.
-- COLLATE "C": kids are case-sensitive (RFC 7517 §4.5) and ordered byte-wise, matching
-- SQLite and MySQL (utf8mb4_bin).
CREATE TABLE json_web_keys (
    set_id VARCHAR(255) COLLATE "C" NOT NULL,
    kid VARCHAR(255) COLLATE "C" NOT NULL,
    alg VARCHAR(32) NOT NULL,
    use_ VARCHAR(8) NOT NULL,
    public_jwk TEXT NOT NULL,
    private_jwk_sealed TEXT NULL,
    created_at TIMESTAMP NOT NULL,
    not_before TIMESTAMP NOT NULL,
    retired_at TIMESTAMP NULL,
    PRIMARY KEY (set_id, kid)
);

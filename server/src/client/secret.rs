//! Client secrets (docs/security.md). Generated secrets carry 256 bits of entropy, so a single
//! SHA-256 is as strong as any KDF against them and costs well under a microsecond to
//! verify; secrets an operator chose may be guessable and get Argon2id. Verification of
//! either is constant-time. (Keying the fast hash with the system secret would tie every
//! client to the current system secret without making a 256-bit secret any harder to find.)

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::argon2id;
use crate::error::OAuth2Error;
use crate::secrets::{KeyRing, Purpose};

const SHA256_PREFIX: &str = "sha256$";
/// The stored form of a `client_secret_jwt` client's secret: sealed, not hashed.
const SEALED_PREFIX: &str = "sealed$";

/// The shortest secret a `client_secret_jwt` client may choose: RFC 7518 §3.2 wants
/// an HMAC key at least as long as the hash (32 bytes for HS256).
pub const MIN_JWT_SECRET_LEN: usize = 32;

/// Hydra's lower bound for operator-chosen secrets.
pub const MIN_CHOSEN_SECRET_LEN: usize = 6;

/// 32 bytes from the OS RNG, base64url: 43 characters.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `secret` has the form of a secret this server generates: 43 characters of
/// the base64url alphabet. Only such a secret can match a fast (SHA-256) hash.
pub fn looks_generated(secret: &str) -> bool {
    secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Stored hashes no secret matches, one of each kind, made with fresh random values
/// at startup: what a presented secret is verified against when there is no real
/// hash to verify it against (an unknown client), so that costs the same.
#[derive(Debug, Clone)]
pub struct StandIns {
    /// A SHA-256 hash, as of a generated secret.
    pub fast: String,
    /// An Argon2id hash with the parameters `hash_chosen` uses.
    pub slow: String,
}

impl StandIns {
    pub fn new() -> Self {
        let mut salt = [0u8; 16];
        let mut output = [0u8; 32];
        rand::rng().fill_bytes(&mut salt);
        rand::rng().fill_bytes(&mut output);
        let fast = format!("{SHA256_PREFIX}{}", STANDARD_NO_PAD.encode(output));
        rand::rng().fill_bytes(&mut output);
        Self {
            fast,
            slow: argon2id::unmatchable(&salt, &output),
        }
    }
}

impl Default for StandIns {
    fn default() -> Self {
        Self::new()
    }
}

/// The stored form of a secret this server generated.
pub fn hash_generated(secret: &str) -> String {
    format!(
        "{SHA256_PREFIX}{}",
        STANDARD_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
    )
}

/// The stored form of an operator-chosen secret: an Argon2id PHC string
/// (`argon2id.rs`). Costs tens of milliseconds; call it off the async workers.
pub fn hash_chosen(secret: &str) -> Result<String, OAuth2Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    argon2id::hash(secret.as_bytes(), &salt).map_err(OAuth2Error::server_error)
}

/// 64 bytes from the OS RNG, base64url (86 characters): a `client_secret_jwt` secret
/// long enough for HS512 (RFC 7518 §3.2: a key of at least 512 bits).
pub fn generate_jwt_secret() -> String {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a `client_secret_jwt` secret: sealed under the system secret
/// (XChaCha20-Poly1305), bound to the client id so a sealed secret cannot be moved to
/// another client's row.
pub fn seal(keys: &KeyRing, client_id: &str, secret: &str) -> Result<String, OAuth2Error> {
    let sealed = keys
        .seal(
            Purpose::ClientSecretJwt,
            secret.as_bytes(),
            client_id.as_bytes(),
        )
        .ok_or_else(|| OAuth2Error::server_error("no system secret to seal client secrets with"))?;
    Ok(format!("{SEALED_PREFIX}{}", STANDARD_NO_PAD.encode(sealed)))
}

/// The secret [`seal`] stored, opened under any configured system secret; `None` when
/// `stored` is a hash (or was sealed for another client or under a retired secret).
pub fn open(keys: &KeyRing, client_id: &str, stored: &str) -> Option<String> {
    let sealed = STANDARD_NO_PAD
        .decode(stored.strip_prefix(SEALED_PREFIX)?)
        .ok()?;
    let plain = keys
        .open(Purpose::ClientSecretJwt, &sealed, client_id.as_bytes())
        .ok()?;
    String::from_utf8(plain).ok()
}

/// Whether `stored` is a sealed (`client_secret_jwt`) secret rather than a hash.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// Whether verifying against `stored` runs a slow KDF (Argon2id, tens of milliseconds):
/// such verifications belong off the async workers and in a cache.
pub fn is_slow(stored: &str) -> bool {
    !stored.starts_with(SHA256_PREFIX) && !is_sealed(stored)
}

/// Whether `secret` matches `stored`; constant-time in the secret.
pub fn verify(secret: &str, stored: &str) -> bool {
    // A sealed secret is presented only as a MAC key (`client_secret_jwt`), never as
    // a password; it matches no presented secret.
    if is_sealed(stored) {
        return false;
    }
    if let Some(expected) = stored.strip_prefix(SHA256_PREFIX) {
        let actual = STANDARD_NO_PAD.encode(Sha256::digest(secret.as_bytes()));
        return actual.as_bytes().ct_eq(expected.as_bytes()).into();
    }
    argon2id::verify(secret.as_bytes(), stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_are_long_and_unique() {
        let a = generate_secret();
        let b = generate_secret();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn generated_secrets_are_recognised_by_form() {
        for _ in 0..20 {
            assert!(looks_generated(&generate_secret()));
        }
        let almost = "a".repeat(42);
        for other in ["", "short", &almost, &"a".repeat(44), &format!("{almost}=")] {
            assert!(!looks_generated(other), "{other:?}");
        }
        assert!(!looks_generated(&format!("{almost}+")));
        assert!(looks_generated(&format!("{almost}-")));
    }

    #[test]
    fn stand_ins_are_of_each_kind_and_match_nothing() {
        let stand_ins = StandIns::new();
        assert!(!is_slow(&stand_ins.fast));
        assert!(is_slow(&stand_ins.slow));
        assert!(stand_ins.slow.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
        let secret = generate_secret();
        assert!(!verify(&secret, &stand_ins.fast));
        assert!(!verify("correct horse", &stand_ins.slow));
    }

    #[test]
    fn jwt_secrets_are_sealed_per_client_and_never_verify_as_passwords() {
        let keys = KeyRing::new(&["a-system-secret-0123456789".to_owned()]);
        let secret = generate_jwt_secret();
        assert_eq!(secret.len(), 86);
        let stored = seal(&keys, "app", &secret).unwrap();
        assert!(is_sealed(&stored) && !is_slow(&stored));
        assert!(!stored.contains(&secret));
        assert_eq!(open(&keys, "app", &stored).as_deref(), Some(&*secret));
        assert_eq!(
            open(&keys, "other-app", &stored),
            None,
            "bound to the client"
        );
        let other = KeyRing::new(&["another-system-secret-0123".to_owned()]);
        assert_eq!(open(&other, "app", &stored), None);
        assert_eq!(open(&keys, "app", &hash_generated(&secret)), None);
        assert!(!verify(&secret, &stored));
    }

    #[test]
    fn both_hash_kinds_verify() {
        let generated = generate_secret();
        let stored = hash_generated(&generated);
        assert!(!stored.contains(&generated));
        assert!(verify(&generated, &stored));
        assert!(!verify("wrong", &stored));

        let stored = hash_chosen("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct horsf", &stored));
        assert!(!verify("anything", "garbage"));
    }
}

//! Client secrets (DESIGN §5). Generated secrets carry 256 bits of entropy, so a single
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

const SHA256_PREFIX: &str = "sha256$";

/// Hydra's lower bound for operator-chosen secrets.
pub const MIN_CHOSEN_SECRET_LEN: usize = 6;

/// 32 bytes from the OS RNG, base64url: 43 characters.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
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

/// Whether verifying against `stored` runs a slow KDF (Argon2id, tens of milliseconds):
/// such verifications belong off the async workers and in a cache.
pub fn is_slow(stored: &str) -> bool {
    !stored.starts_with(SHA256_PREFIX)
}

/// Whether `secret` matches `stored`; constant-time in the secret.
pub fn verify(secret: &str, stored: &str) -> bool {
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

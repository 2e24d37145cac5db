//! Argon2id for operator-chosen client secrets (DESIGN §5), computed in one reused memory
//! area.
//!
//! Argon2 is memory-hard by design: every computation fills `m_cost` KiB. Allocating that
//! per call, as `PasswordHasher` does, leaves the process's RSS at one area per blocking
//! thread that ever ran it: glibc raises its mmap threshold after the first large free,
//! so later areas come from per-thread arenas that are never given back (measured: 16
//! concurrent first verifications left ~300 MB resident, docs/benchmarks.md). Here every
//! computation takes the one area under a lock, so the process holds exactly one area,
//! and computations run one at a time — they are CPU-bound, and the verification cache
//! (`oauth2::secret_cache`) makes them rare.
//!
//! Parameters: OWASP's Password Storage Cheat Sheet lists m = 19 MiB, t = 2 and
//! m = 7 MiB, t = 5 (both p = 1) as equivalent; the second holds less memory for the same
//! work. Hashes stored with other parameters (e.g. the argon2 crate's default, 19 MiB)
//! still verify: their parameters come from the PHC string, and the area grows to fit.

use std::sync::{Mutex, PoisonError};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

/// m = 7 MiB (in KiB), t = 5, p = 1: OWASP's lower-memory equivalent of Argon2id's
/// recommended cost.
const M_COST_KIB: u32 = 7 * 1024;
const T_COST: u32 = 5;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

/// The one memory area every computation uses; grows to the largest `m_cost` seen.
static MEMORY: Mutex<Vec<Block>> = Mutex::new(Vec::new());

/// Runs `compute` with the shared area sized for `params`. A panic inside cannot leave
/// the area in a state that matters: every computation overwrites what it reads.
fn with_memory<R>(params: &Params, compute: impl FnOnce(&mut [Block]) -> R) -> R {
    let mut memory = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    compute(&mut memory[..blocks])
}

/// An Argon2id PHC string for `secret` with a fresh 16-byte `salt`.
pub fn hash(secret: &[u8], salt: &[u8; 16]) -> Result<String, String> {
    let params = Params::new(M_COST_KIB, T_COST, P_COST, Some(OUTPUT_LEN))
        .map_err(|e| format!("argon2 parameters: {e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; OUTPUT_LEN];
    with_memory(&params, |memory| {
        argon2.hash_password_into_with_memory(secret, salt, &mut out, memory)
    })
    .map_err(|e| format!("argon2 hash: {e}"))?;
    let salt = SaltString::encode_b64(salt).map_err(|e| format!("argon2 salt: {e}"))?;
    let output = Output::new(&out).map_err(|e| format!("argon2 output: {e}"))?;
    let params_string =
        ParamsString::try_from(&params).map_err(|e| format!("argon2 parameters: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: params_string,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `secret` matches the Argon2 PHC string `stored` (any Argon2 variant, version
/// and parameters it names); constant-time in the secret. A string that does not parse
/// matches nothing.
pub fn verify(secret: &[u8], stored: &str) -> bool {
    let Ok(phc) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(phc.algorithm) else {
        return false;
    };
    let version = match phc.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&phc) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut actual = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let computed = with_memory(&params, |memory| {
        argon2.hash_password_into_with_memory(secret, salt, &mut actual, memory)
    });
    computed.is_ok() && bool::from(actual.ct_eq(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordHasher;

    #[test]
    fn hashes_verify_and_carry_their_parameters() {
        let stored = hash(b"correct horse", &[7u8; 16]).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
            "{stored}"
        );
        assert!(verify(b"correct horse", &stored));
        assert!(!verify(b"correct horsf", &stored));
        assert!(!verify(b"correct horse", "$argon2id$garbage"));
    }

    /// Hashes written by `PasswordHasher` with the crate's defaults (19 MiB, t = 2: what
    /// earlier versions stored) keep verifying, through the same shared area.
    #[test]
    fn verifies_hashes_with_other_parameters() {
        let salt = SaltString::encode_b64(&[3u8; 16]).unwrap();
        let stored = Argon2::default()
            .hash_password(b"s3cret-chosen", &salt)
            .unwrap()
            .to_string();
        assert!(stored.contains("m=19456,t=2,p=1"), "{stored}");
        assert!(verify(b"s3cret-chosen", &stored));
        assert!(!verify(b"s3cret-chosen!", &stored));
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, Params::default())
            .hash_password(b"s3cret-chosen", &salt)
            .unwrap()
            .to_string();
        assert!(verify(b"s3cret-chosen", &argon2i));
    }
}

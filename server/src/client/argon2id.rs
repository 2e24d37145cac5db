//! Argon2id for operator-chosen client secrets (docs/security.md), one computation at a time,
//! each in an area given back to the system when it ends.
//!
//! Argon2 is memory-hard by design: every computation fills `m_cost` KiB. Allocating that
//! per call, as `PasswordHasher` does, leaves the process's RSS at one area per blocking
//! thread that ever ran it: glibc raises its mmap threshold to the size of the first
//! large block freed (up to 32 MiB), so later areas come from per-thread arenas that are
//! never given back (measured: 16 concurrent first verifications left ~300 MB resident,
//! docs/benchmarks.md). Keeping one area for the process's lifetime bounded that to one
//! area, but an idle server still held its 7 MiB (a sixth of its idle RSS). So each
//! computation reserves more than 32 MiB of address space and touches only the `m_cost`
//! it needs: glibc maps a request that large directly, unmaps it on free, and leaves its
//! threshold alone, so nothing stays resident and nothing moves into an arena. Untouched
//! reserved pages cost no memory. Computations run one at a time under a lock — they are
//! CPU-bound, and the verification cache (`oauth2::secret_cache`) makes them rare — so
//! at most one area exists at any moment. Who waits for that lock, and how many, is
//! decided before it: `oauth2::client_auth::admission` bounds the queue of token
//! requests (per client, and in all) and answers the rest at once with 503.
//!
//! Parameters: OWASP's Password Storage Cheat Sheet lists m = 19 MiB, t = 2 and
//! m = 7 MiB, t = 5 (both p = 1) as equivalent; the second holds less memory for the same
//! work. Hashes stored with other parameters (e.g. the argon2 crate's default, 19 MiB)
//! still verify: their parameters come from the PHC string.

use std::sync::{Mutex, PoisonError};

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use subtle::ConstantTimeEq;

/// m = 7 MiB (in KiB), t = 5, p = 1: OWASP's lower-memory equivalent of Argon2id's
/// recommended cost.
const M_COST_KIB: u32 = 7 * 1024;
const T_COST: u32 = 5;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

/// Blocks (1 KiB each) reserved per computation at least: above glibc's largest dynamic
/// mmap threshold (`DEFAULT_MMAP_THRESHOLD_MAX`, 32 MiB on 64-bit), so the area is
/// mapped on its own and unmapped when dropped.
const RESERVED_BLOCKS: usize = 33 * 1024;

/// Serialises computations, so that at most one area exists at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `compute` in a fresh area sized for `params`, dropped before returning. A panic
/// inside cannot leave anything behind that matters: the lock holds no data.
fn with_memory<R>(params: &Params, compute: impl FnOnce(&mut [Block]) -> R) -> R {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let blocks = params.block_count();
    let mut memory: Vec<Block> = Vec::with_capacity(blocks.max(RESERVED_BLOCKS));
    memory.resize(blocks, Block::default());
    compute(&mut memory)
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

/// An Argon2id PHC string with this module's parameters, `salt` and `output` as the hash:
/// built without computing anything. Given a random `output`, no secret verifies
/// against it (a 2^-256 chance), yet verifying one costs exactly what verifying against
/// a real hash of [`hash`] costs: the stand-in for a client that does not exist
/// (`oauth2::client_auth::secret_check`).
pub fn unmatchable(salt: &[u8; 16], output: &[u8; OUTPUT_LEN]) -> String {
    // The PHC string format, written out: PHC's B64 is standard base64 without padding.
    format!(
        "$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(output)
    )
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
    /// earlier versions stored) keep verifying.
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

    /// The stand-in hash has the parameters of a real one and matches nothing.
    #[test]
    fn unmatchable_hashes_look_real_and_match_nothing() {
        let real = hash(b"correct horse", &[5u8; 16]).unwrap();
        let stand_in = unmatchable(&[5u8; 16], &[1u8; 32]);
        assert!(PasswordHash::new(&stand_in).is_ok(), "{stand_in}");
        let head = |phc: &str| phc.rsplit_once('$').map(|(head, _)| head.to_owned());
        assert_eq!(
            head(&real),
            head(&stand_in),
            "same algorithm, parameters and salt"
        );
        assert_ne!(real, stand_in);
        assert!(!verify(b"correct horse", &stand_in));
        assert!(!verify(b"", &stand_in));
    }

    /// Private resident memory of this process in KiB (`RssAnon`, Linux).
    fn anonymous_rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("RssAnon:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// No 7 MiB area stays resident after computations end, neither the first (mapped
    /// by glibc on its own) nor later ones (which glibc would serve from an arena and
    /// keep, had the first raised its mmap threshold). nextest runs each test in its own
    /// process, so no other test's memory is counted here.
    #[test]
    fn computations_give_their_memory_back() {
        let before = anonymous_rss_kib();
        let stored = hash(b"correct horse", &[9u8; 16]).unwrap();
        for _ in 0..3 {
            assert!(verify(b"correct horse", &stored));
        }
        let grown = anonymous_rss_kib().saturating_sub(before);
        assert!(
            grown < u64::from(M_COST_KIB) / 2,
            "{grown} KiB stayed resident after four computations of {M_COST_KIB} KiB"
        );
    }
}

//! Key generation (RFC 7518 §6): RSA, EC (P-256/384/521), OKP (Ed25519, RFC 8037) and
//! `oct` keys, with `kid`, `alg` and `use` set. RSA generation takes ~100 ms, so
//! [`generate_off_thread`] runs it on the blocking pool, never on an async worker.

use josekit::jwk::Jwk;
use josekit::jwk::alg::ec::EcCurve;
use josekit::jwk::alg::ed::EdCurve;

use super::alg::{Algorithm, KeyFamily, KeyUse};
use super::key::from_josekit;
use super::{JsonWebKey, JwkError};

/// RSA modulus size when none is configured.
pub const DEFAULT_RSA_BITS: u32 = 2048;
/// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used".
pub const MIN_RSA_BITS: u32 = 2048;
/// Largest RSA size accepted (generation time grows with the cube of the size).
pub const MAX_RSA_BITS: u32 = 8192;

/// Generates a private key for `alg`. Blocks for the duration (RSA: ~0.1 s at 2048
/// bits); prefer [`generate_off_thread`] in async code.
pub fn generate(
    alg: Algorithm,
    kid: &str,
    use_: KeyUse,
    rsa_bits: u32,
) -> Result<JsonWebKey, JwkError> {
    let crypto = |e: josekit::JoseError| JwkError::Crypto(e.to_string());
    let mut jwk = match alg.family() {
        KeyFamily::Rsa => {
            if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&rsa_bits) || !rsa_bits.is_multiple_of(8) {
                return Err(JwkError::invalid(
                    "key_size",
                    format!("RSA keys have {MIN_RSA_BITS} to {MAX_RSA_BITS} bits, a multiple of 8"),
                ));
            }
            Jwk::generate_rsa_key(rsa_bits).map_err(crypto)?
        }
        KeyFamily::Ec(curve) => {
            let curve = match curve {
                "P-384" => EcCurve::P384,
                "P-521" => EcCurve::P521,
                _ => EcCurve::P256,
            };
            Jwk::generate_ec_key(curve).map_err(crypto)?
        }
        KeyFamily::Okp => Jwk::generate_ed_key(EdCurve::Ed25519).map_err(crypto)?,
        // RFC 7518 §3.2: a key of the same size as the hash output (or larger).
        KeyFamily::Oct => {
            let len = match alg {
                Algorithm::HS384 => 48,
                Algorithm::HS512 => 64,
                _ => 32,
            };
            Jwk::generate_oct_key(len).map_err(crypto)?
        }
    };
    jwk.set_key_id(kid);
    jwk.set_algorithm(alg.name());
    jwk.set_key_use(use_.as_str());
    from_josekit(jwk)
}

/// [`generate`] on tokio's blocking pool.
pub async fn generate_off_thread(
    alg: Algorithm,
    kid: String,
    use_: KeyUse,
    rsa_bits: u32,
) -> Result<JsonWebKey, JwkError> {
    tokio::task::spawn_blocking(move || generate(alg, &kid, use_, rsa_bits))
        .await
        .map_err(|e| JwkError::Crypto(format!("key generation task failed: {e}")))?
}

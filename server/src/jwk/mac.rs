//! HMAC verification of JWS (HS256/384/512, RFC 7518 §3.2) that compares the MAC in
//! constant time. josekit's own HMAC verifier compares the computed and the received
//! MAC with `!=`, which stops at the first differing byte and so tells a timing observer
//! how much of a forged MAC is right. Here josekit computes the MAC (the same HMAC it
//! signs with, refusing keys shorter than the hash output) and `subtle` compares it.
//! Every symmetric verifier of `crate::jwk::Verifier` is one of these: client assertions
//! MACed with the client secret (`client_secret_jwt`, RFC 7523 §2.2) and HS* tokens.

use std::fmt;

use josekit::JoseError;
use josekit::jws::alg::hmac::HmacJwsSigner;
use josekit::jws::{self, JwsAlgorithm, JwsSigner, JwsVerifier};
use subtle::ConstantTimeEq;

use super::{Algorithm, JwkError};

/// Whether `given` is the `alg` MAC (HS256, HS384, HS512; RFC 7518 §3.2) of `message`
/// under the raw key octets `key`, compared in constant time. For MACs keyed by
/// something other than a JWK, e.g. an ID token MACed with the client secret (OIDC Core
/// §10.1). `Err` when `alg` is not a MAC algorithm or `key` is shorter than the hash
/// output (RFC 7518 §3.2).
pub fn mac_matches(
    alg: Algorithm,
    key: &[u8],
    message: &[u8],
    given: &[u8],
) -> Result<bool, JwkError> {
    let signer = match alg {
        Algorithm::HS256 => jws::HS256.signer_from_bytes(key),
        Algorithm::HS384 => jws::HS384.signer_from_bytes(key),
        Algorithm::HS512 => jws::HS512.signer_from_bytes(key),
        other => {
            return Err(JwkError::Unverifiable(format!(
                "{other} is not a MAC algorithm"
            )));
        }
    }
    .map_err(|e| JwkError::Crypto(e.to_string()))?;
    let computed = signer
        .sign(message)
        .map_err(|e| JwkError::Crypto(e.to_string()))?;
    Ok(bool::from(computed.as_slice().ct_eq(given)))
}

/// A JWS verifier for one HMAC key.
#[derive(Clone)]
pub(super) struct ConstantTimeMac {
    signer: HmacJwsSigner,
}

impl ConstantTimeMac {
    pub(super) fn new(signer: HmacJwsSigner) -> Self {
        Self { signer }
    }
}

/// The key never appears in logs or panics.
impl fmt::Debug for ConstantTimeMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConstantTimeMac")
            .field("alg", &self.signer.algorithm().name())
            .field("kid", &self.signer.key_id())
            .finish_non_exhaustive()
    }
}

impl JwsVerifier for ConstantTimeMac {
    fn algorithm(&self) -> &dyn JwsAlgorithm {
        self.signer.algorithm()
    }

    fn key_id(&self) -> Option<&str> {
        self.signer.key_id()
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), JoseError> {
        let computed = self.signer.sign(message)?;
        // `ct_eq` of slices of different lengths is false without comparing contents;
        // the lengths are public (the algorithm fixes them).
        if bool::from(computed.as_slice().ct_eq(signature)) {
            Ok(())
        } else {
            Err(JoseError::InvalidSignature(
                std::io::Error::other("the MAC does not verify").into(),
            ))
        }
    }

    fn box_clone(&self) -> Box<dyn JwsVerifier> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use josekit::jws::{self, JwsHeader};

    use super::*;

    #[test]
    fn verifies_its_own_macs_and_refuses_any_other() {
        let key = b"0123456789abcdef0123456789abcdef";
        let signer = jws::HS256.signer_from_bytes(key).unwrap();
        let verifier = ConstantTimeMac::new(signer.clone());
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        let token = jws::serialize_compact(b"{\"sub\":\"a\"}", &header, &signer).unwrap();
        let (payload, _) = jws::deserialize_compact(&token, &verifier).unwrap();
        assert_eq!(payload, b"{\"sub\":\"a\"}");

        // One changed byte of the MAC, a truncated MAC, another key: refused.
        let mac = signer.sign(b"message").unwrap();
        assert!(verifier.verify(b"message", &mac).is_ok());
        let mut flipped = mac.clone();
        flipped[31] ^= 1;
        assert!(verifier.verify(b"message", &flipped).is_err());
        assert!(verifier.verify(b"message", &mac[..16]).is_err());
        let other = jws::HS256
            .signer_from_bytes(b"another-key-of-enough-length-000")
            .unwrap();
        assert!(
            verifier
                .verify(b"message", &other.sign(b"message").unwrap())
                .is_err()
        );
        assert!(!format!("{verifier:?}").contains("0123456789"));

        assert!(mac_matches(Algorithm::HS256, key, b"message", &mac).unwrap());
        assert!(!mac_matches(Algorithm::HS256, key, b"message", &flipped).unwrap());
        assert!(mac_matches(Algorithm::HS256, b"short", b"message", &mac).is_err());
        assert!(mac_matches(Algorithm::ES256, key, b"message", &mac).is_err());
    }
}

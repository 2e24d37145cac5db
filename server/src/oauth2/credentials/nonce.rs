//! `c_nonce` of the verifiable credentials endpoint (OpenID Connect UserInfo VC draft
//! 00, as Hydra): bound to one access token and an expiry, verifiable by every node
//! without shared state. A nonce is base64url of the expiry (8 bytes, big-endian Unix
//! seconds) and an HMAC (`secrets.system`, its own derived key) over the SHA-256 of
//! the access token and that expiry. Hydra seals the same two facts with its flow
//! cipher; a MAC suffices, since neither is secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::secrets::{KeyRing, Purpose};

const EXPIRY_LEN: usize = 8;

fn signed_data(access_token: &str, expires_at: i64) -> Vec<u8> {
    let mut data = Sha256::digest(access_token.as_bytes()).to_vec();
    data.extend_from_slice(&expires_at.to_be_bytes());
    data
}

/// A nonce for `access_token`, valid until `expires_at`.
pub fn issue(keys: &KeyRing, access_token: &str, expires_at: DateTime<Utc>) -> Option<String> {
    let expiry = expires_at.timestamp();
    let mac = keys.sign(Purpose::CredentialNonce, &signed_data(access_token, expiry))?;
    let mut bytes = expiry.to_be_bytes().to_vec();
    bytes.extend_from_slice(&mac);
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Why a nonce is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceError {
    /// Not made by this server for this access token.
    Invalid,
    Expired,
}

/// Checks `nonce` for `access_token` at `now` (the MAC in constant time).
pub fn check(
    keys: &KeyRing,
    nonce: &str,
    access_token: &str,
    now: DateTime<Utc>,
) -> Result<(), NonceError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(nonce)
        .map_err(|_| NonceError::Invalid)?;
    let (expiry, mac) = bytes
        .split_at_checked(EXPIRY_LEN)
        .ok_or(NonceError::Invalid)?;
    let expiry = i64::from_be_bytes(expiry.try_into().map_err(|_| NonceError::Invalid)?);
    if !keys.verify(
        Purpose::CredentialNonce,
        &signed_data(access_token, expiry),
        mac,
    ) {
        return Err(NonceError::Invalid);
    }
    if expiry <= now.timestamp() {
        return Err(NonceError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn a_nonce_is_bound_to_its_token_and_expiry_on_every_node() {
        let node_a = KeyRing::new(&["credential-nonce-secret-01".to_owned()]);
        let node_b = KeyRing::new(&["credential-nonce-secret-01".to_owned()]);
        let other = KeyRing::new(&["another-secret-0123456789".to_owned()]);
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let nonce = issue(&node_a, "token-1", now + Duration::hours(1)).unwrap();
        assert_eq!(check(&node_b, &nonce, "token-1", now), Ok(()));
        assert_eq!(
            check(&node_b, &nonce, "token-2", now),
            Err(NonceError::Invalid)
        );
        assert_eq!(
            check(&other, &nonce, "token-1", now),
            Err(NonceError::Invalid)
        );
        assert_eq!(
            check(&node_b, &nonce, "token-1", now + Duration::hours(1)),
            Err(NonceError::Expired)
        );
        // A later expiry with the old MAC does not verify.
        let mut forged = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        forged[7] = forged[7].wrapping_add(100);
        let forged = URL_SAFE_NO_PAD.encode(forged);
        assert_eq!(
            check(&node_b, &forged, "token-1", now),
            Err(NonceError::Invalid)
        );
        for garbage in ["", "!!", "AAAA"] {
            assert_eq!(
                check(&node_b, garbage, "token-1", now),
                Err(NonceError::Invalid)
            );
        }
    }
}

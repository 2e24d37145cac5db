//! Self-contained flow state (docs/security.md, "A malicious login, consent or logout app"): challenges and verifiers are the flow's state,
//! serialized and sealed with XChaCha20-Poly1305 under a key derived from the system
//! secret. The kind is bound as associated data, so a login challenge can never be
//! replayed as a consent verifier. Any node sharing the secret can continue a flow.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::secrets::{KeyRing, Purpose};

/// The kinds of sealed flow state; each is its own associated-data tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedKind {
    LoginChallenge,
    LoginVerifier,
    ConsentChallenge,
    ConsentVerifier,
    LogoutChallenge,
    LogoutVerifier,
    SessionCookie,
    DeviceChallenge,
    DeviceVerifier,
}

impl SealedKind {
    fn tag(self) -> &'static [u8] {
        match self {
            Self::LoginChallenge => b"login_challenge",
            Self::LoginVerifier => b"login_verifier",
            Self::ConsentChallenge => b"consent_challenge",
            Self::ConsentVerifier => b"consent_verifier",
            Self::LogoutChallenge => b"logout_challenge",
            Self::LogoutVerifier => b"logout_verifier",
            Self::SessionCookie => b"session_cookie",
            Self::DeviceChallenge => b"device_challenge",
            Self::DeviceVerifier => b"device_verifier",
        }
    }
}

/// Serializes and seals `value`; `None` only if the key ring is empty.
pub fn seal<T: Serialize>(keys: &KeyRing, kind: SealedKind, value: &T) -> Option<String> {
    let json = serde_json::to_vec(value).ok()?;
    let purpose = match kind {
        SealedKind::SessionCookie => Purpose::Cookie,
        _ => Purpose::FlowState,
    };
    keys.seal(purpose, &json, kind.tag())
        .map(|sealed| URL_SAFE_NO_PAD.encode(sealed))
}

/// Opens state sealed by `seal` with the same kind; `None` if tampered, truncated,
/// made for another kind, or made with an unknown secret.
pub fn open<T: DeserializeOwned>(keys: &KeyRing, kind: SealedKind, text: &str) -> Option<T> {
    let sealed = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
    let purpose = match kind {
        SealedKind::SessionCookie => Purpose::Cookie,
        _ => Purpose::FlowState,
    };
    let json = keys.open(purpose, &sealed, kind.tag()).ok()?;
    serde_json::from_slice(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_do_not_mix_and_tampering_fails() {
        let keys = KeyRing::new(&["flow-secret-0123456789".to_owned()]);
        let sealed = seal(&keys, SealedKind::LoginChallenge, &vec![1, 2, 3]).unwrap();
        assert_eq!(
            open::<Vec<i32>>(&keys, SealedKind::LoginChallenge, &sealed),
            Some(vec![1, 2, 3])
        );
        assert_eq!(
            open::<Vec<i32>>(&keys, SealedKind::ConsentVerifier, &sealed),
            None
        );
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            open::<Vec<i32>>(&keys, SealedKind::LoginChallenge, &tampered),
            None
        );
        assert_eq!(
            open::<Vec<i32>>(&keys, SealedKind::LoginChallenge, "!!not base64"),
            None
        );
    }
}

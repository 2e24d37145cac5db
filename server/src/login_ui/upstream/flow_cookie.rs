//! An upstream flow's state in the browser between `/auth/login/{id}` and
//! `/auth/callback/{id}`: the provider, the login challenge it signs in for, `state`
//! (RFC 6749 §10.12), `nonce` (OIDC Core §3.1.2.1) and the PKCE verifier (RFC 7636
//! §4.1), sealed with the cookie key ring (`Purpose::Cookie`, its own associated data)
//! in a short-lived HttpOnly `SameSite=Lax` cookie: Lax, because the provider's
//! redirect back is a cross-site top-level navigation. Nothing is stored on the server.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::secrets::{KeyRing, Purpose};

/// The cookie's name.
pub const COOKIE_NAME: &str = "portunus_ui_upstream";

/// How long the user may take at the provider, in seconds (the cookie's `Max-Age`).
pub const LIFETIME_SECONDS: i64 = 600;

/// Associated data of the seal: a cookie sealed for another purpose never opens here.
const AAD: &[u8] = b"portunus/ui-upstream-flow";

/// The most bytes of a cookie value this module opens.
const MAX_COOKIE_LEN: usize = 4096;

/// What the browser keeps between the start and the callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamFlow {
    pub provider: String,
    pub login_challenge: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Unix seconds after which the callback refuses the flow.
    pub expires_at: i64,
}

/// 32 random bytes, base64url: 43 characters (a valid PKCE verifier, RFC 7636 §4.1).
fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

impl UpstreamFlow {
    /// A new flow for `provider` and `login_challenge`, started at `now`.
    pub fn new(provider: &str, login_challenge: &str, now: DateTime<Utc>) -> Option<Self> {
        Some(Self {
            provider: provider.to_owned(),
            login_challenge: login_challenge.to_owned(),
            state: random(),
            nonce: random(),
            verifier: random(),
            expires_at: now
                .checked_add_signed(TimeDelta::seconds(LIFETIME_SECONDS))?
                .timestamp(),
        })
    }

    /// RFC 7636 §4.2: `S256` of the verifier.
    pub fn code_challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }

    /// The cookie value: the flow sealed. `None` when the key ring is empty.
    pub fn seal(&self, keys: &KeyRing) -> Option<String> {
        let plaintext = serde_json::to_vec(self).ok()?;
        let sealed = keys.seal(Purpose::Cookie, &plaintext, AAD)?;
        Some(URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The flow in cookie `value`, if this server sealed it and it has not expired.
    pub fn open(keys: &KeyRing, value: &str, now: DateTime<Utc>) -> Option<Self> {
        if value.len() > MAX_COOKIE_LEN {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(value).ok()?;
        let plaintext = keys.open(Purpose::Cookie, &sealed, AAD).ok()?;
        let flow: Self = serde_json::from_slice(&plaintext).ok()?;
        (now.timestamp() < flow.expires_at).then_some(flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_flow_opens_with_its_keys_until_it_expires() {
        let keys = KeyRing::new(&["a-system-secret-of-enough-length".into()]);
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2030, 1, 1, 0, 0, 0).unwrap();
        let flow = UpstreamFlow::new("google", "ch", now).unwrap();
        let cookie = flow.seal(&keys).unwrap();
        assert!(!cookie.contains(&flow.verifier));
        assert_eq!(UpstreamFlow::open(&keys, &cookie, now), Some(flow.clone()));
        let later = now + TimeDelta::seconds(LIFETIME_SECONDS);
        assert!(UpstreamFlow::open(&keys, &cookie, later).is_none());
        let other = KeyRing::new(&["another-system-secret-of-length".into()]);
        assert!(UpstreamFlow::open(&other, &cookie, now).is_none());
        assert_ne!(flow.code_challenge(), flow.verifier);
    }
}

//! The demo flow's state in the browser: the PKCE verifier (RFC 7636 §4.1), `state`
//! (RFC 6749 §10.12) and `nonce` (OIDC Core §3.1.2.1), sealed with the cookie key ring
//! (`secrets.cookie`, else `secrets.system`; `Purpose::Cookie`, XChaCha20-Poly1305, its
//! own associated data) in a short-lived HttpOnly cookie. Sealed, not only MACed: the verifier must stay secret
//! until the token request, and nothing is stored on the server.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CLIENT_ID, SCOPE, callback_url};
use crate::config::Config;
use crate::secrets::{KeyRing, Purpose};

/// The cookie's name.
pub const COOKIE_NAME: &str = "portunus_ui_demo";

/// How long a started flow may take, in seconds (also the cookie's `Max-Age`).
pub const LIFETIME_SECONDS: i64 = 600;

/// Associated data of the seal: a cookie sealed for another purpose never opens here.
const AAD: &[u8] = b"portunus/ui-demo-flow";

/// The most bytes of a cookie value this module opens (a sealed flow is ~250).
const MAX_COOKIE_LEN: usize = 1024;

/// What the browser keeps between the start and the callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowCookie {
    pub verifier: String,
    pub state: String,
    pub nonce: String,
    /// Unix seconds after which the callback refuses the flow.
    pub expires_at: i64,
}

/// 32 random bytes, base64url: 43 characters (a valid PKCE verifier, RFC 7636 §4.1).
fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A new flow started at `now`: the authorization URL to send the browser to and the
/// cookie value to set. `None` when the key ring is empty or the time overflows.
pub fn start(config: &Config, keys: &KeyRing, now: DateTime<Utc>) -> Option<(String, String)> {
    let expires_at = now
        .checked_add_signed(TimeDelta::seconds(LIFETIME_SECONDS))?
        .timestamp();
    let flow = FlowCookie {
        verifier: random(),
        state: random(),
        nonce: random(),
        expires_at,
    };
    // RFC 7636 §4.2: S256.
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(flow.verifier.as_bytes()));
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", &callback_url(config))
        .append_pair("scope", SCOPE)
        .append_pair("state", &flow.state)
        .append_pair("nonce", &flow.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    let url = format!("{}/oauth2/auth?{query}", config.public_url());
    let plaintext = serde_json::to_vec(&flow).ok()?;
    let sealed = keys.seal(Purpose::Cookie, &plaintext, AAD)?;
    Some((url, URL_SAFE_NO_PAD.encode(sealed)))
}

/// The flow in cookie `value`, if this server sealed it and it has not expired at `now`.
pub fn open(keys: &KeyRing, value: &str, now: DateTime<Utc>) -> Option<FlowCookie> {
    if value.len() > MAX_COOKIE_LEN {
        return None;
    }
    let sealed = URL_SAFE_NO_PAD.decode(value).ok()?;
    let plaintext = keys.open(Purpose::Cookie, &sealed, AAD).ok()?;
    let flow: FlowCookie = serde_json::from_slice(&plaintext).ok()?;
    (now.timestamp() < flow.expires_at).then_some(flow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> KeyRing {
        KeyRing::new(&["a-system-secret-of-enough-length".into()])
    }

    #[test]
    fn a_started_flow_opens_until_it_expires() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2030, 1, 1, 0, 0, 0).unwrap();
        let config = Config::default();
        let (url, cookie) = start(&config, &keys(), now).unwrap();
        let flow = open(&keys(), &cookie, now).unwrap();
        assert!(url.contains(&format!("state={}", flow.state)));
        assert!(url.contains(&format!("nonce={}", flow.nonce)));
        assert!(url.contains("code_challenge_method=S256"));
        assert!(!url.contains(&flow.verifier));
        assert!(!cookie.contains(&flow.state));
        let later = now + TimeDelta::seconds(LIFETIME_SECONDS);
        assert!(open(&keys(), &cookie, later).is_none());
        let other = KeyRing::new(&["another-system-secret-of-length".into()]);
        assert!(open(&other, &cookie, now).is_none());
        let mut tampered = cookie.clone();
        tampered.replace_range(10..11, if &cookie[10..11] == "A" { "B" } else { "A" });
        assert!(open(&keys(), &tampered, now).is_none());
        assert!(open(&keys(), "not a cookie", now).is_none());
    }
}

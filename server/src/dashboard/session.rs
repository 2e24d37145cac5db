//! Access to the dashboard when `serve.admin.api_key` is set: the sign-in form asks for
//! the key once ([`key_matches`], constant time), then the browser keeps a session
//! cookie sealed with the cookie key ring (`secrets.cookie`, else `secrets.system`;
//! `Purpose::Cookie`, XChaCha20-Poly1305) like the login UI's flow cookies. The seal's
//! associated data holds a digest of the API key, so changing the key ends every
//! session; the sealed expiry ends one after [`LIFETIME_SECONDS`] whatever the browser
//! does with `Max-Age`. Nothing is stored on the server.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::secrets::{KeyRing, Purpose};

/// The session cookie's name.
pub const COOKIE_NAME: &str = "portunus_admin_session";

/// How long a sign-in lasts, in seconds (also the cookie's `Max-Age`): a working day.
pub const LIFETIME_SECONDS: i64 = 8 * 3600;

/// The most bytes of a cookie value this module opens (a sealed session is ~90).
const MAX_COOKIE_LEN: usize = 512;

/// The longest key the sign-in form accepts (the key itself is at least 32 characters).
pub const MAX_KEY_LEN: usize = 1024;

#[derive(Debug, Serialize, Deserialize)]
struct Session {
    /// Unix seconds after which the session is refused.
    expires_at: i64,
}

/// Associated data of the seal: the purpose and a digest of the API key it was made
/// under, so a cookie sealed for anything else, or under an earlier key, never opens.
fn aad(api_key: &str) -> Vec<u8> {
    let mut data = b"portunus/admin-dashboard-session\0".to_vec();
    data.extend_from_slice(&Sha256::digest(api_key.as_bytes()));
    data
}

/// Whether `presented` is the configured API key. Both are hashed first, so the
/// comparison takes the same time whatever the lengths and contents.
pub fn key_matches(presented: &str, api_key: &str) -> bool {
    let presented = Sha256::digest(presented.as_bytes());
    let expected = Sha256::digest(api_key.as_bytes());
    presented.as_slice().ct_eq(expected.as_slice()).into()
}

/// A new session's cookie value, made at `now`. `None` when the key ring is empty
/// (config validation prevents it) or the time overflows.
pub fn start(keys: &KeyRing, api_key: &str, now: DateTime<Utc>) -> Option<String> {
    let expires_at = now
        .checked_add_signed(TimeDelta::seconds(LIFETIME_SECONDS))?
        .timestamp();
    let plaintext = serde_json::to_vec(&Session { expires_at }).ok()?;
    let sealed = keys.seal(Purpose::Cookie, &plaintext, &aad(api_key))?;
    Some(URL_SAFE_NO_PAD.encode(sealed))
}

/// Whether cookie `value` is a session this server sealed under `api_key` that has not
/// expired at `now`.
pub fn is_valid(keys: &KeyRing, api_key: &str, value: &str, now: DateTime<Utc>) -> bool {
    if value.len() > MAX_COOKIE_LEN {
        return false;
    }
    let Ok(sealed) = URL_SAFE_NO_PAD.decode(value) else {
        return false;
    };
    let Ok(plaintext) = keys.open(Purpose::Cookie, &sealed, &aad(api_key)) else {
        return false;
    };
    serde_json::from_slice::<Session>(&plaintext)
        .is_ok_and(|session| now.timestamp() < session.expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "an-admin-api-key-of-32-characters-x";

    fn keys() -> KeyRing {
        KeyRing::new(&["a-system-secret-of-enough-length".into()])
    }

    #[test]
    fn a_session_opens_under_its_key_until_it_expires() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2030, 1, 1, 0, 0, 0).unwrap();
        let cookie = start(&keys(), KEY, now).unwrap();
        assert!(is_valid(&keys(), KEY, &cookie, now));
        let later = now + TimeDelta::seconds(LIFETIME_SECONDS);
        assert!(!is_valid(&keys(), KEY, &cookie, later), "expired");
        assert!(
            !is_valid(&keys(), "another-admin-api-key-of-32-chars", &cookie, now),
            "a changed API key ends the session"
        );
        let other = KeyRing::new(&["another-system-secret-of-length".into()]);
        assert!(!is_valid(&other, KEY, &cookie, now));
        let mut tampered = cookie.clone();
        tampered.replace_range(10..11, if &cookie[10..11] == "A" { "B" } else { "A" });
        assert!(!is_valid(&keys(), KEY, &tampered, now));
        assert!(!is_valid(&keys(), KEY, "", now));
        assert!(!is_valid(&keys(), KEY, &"A".repeat(4096), now));
    }

    #[test]
    fn only_the_exact_key_matches() {
        assert!(key_matches(KEY, KEY));
        assert!(!key_matches("", KEY));
        assert!(!key_matches(&KEY[1..], KEY));
        assert!(!key_matches(&format!("{KEY} "), KEY));
    }
}

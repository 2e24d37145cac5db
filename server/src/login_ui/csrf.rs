//! CSRF protection of every form of the login UI: the token in a form is an HMAC
//! (`Purpose::LoginUiCsrf`, keys from `secrets.cookie`/`secrets.system`) over the page
//! kind, the challenge and a random nonce kept in an HttpOnly cookie of the browser.
//! A form posted from elsewhere has no token for this browser's nonce, and a token
//! copied from another browser does not match this one's cookie (OWASP CSRF
//! cheat sheet, "Signed double-submit cookie"). Nothing is stored on the server.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use crate::secrets::{KeyRing, Purpose};

/// The cookie holding the browser's nonce.
pub const COOKIE_NAME: &str = "portunus_ui_csrf";

/// Length of a nonce or token: 32 bytes in unpadded base64url.
const ENCODED_LEN: usize = 43;

/// Which form a token is for, so a login token cannot be posted to the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Login,
    Consent,
    Logout,
    Device,
    /// `POST /auth/logout` (bound to the empty challenge: it ends the browser's session).
    SessionLogout,
    /// Every form of the admin dashboard (`dashboard`, admin listener; bound to the
    /// empty challenge and that listener's own nonce cookie).
    AdminDashboard,
}

impl FormKind {
    fn label(self) -> &'static [u8] {
        match self {
            Self::Login => b"login",
            Self::Consent => b"consent",
            Self::Logout => b"logout",
            Self::Device => b"device",
            Self::SessionLogout => b"session-logout",
            Self::AdminDashboard => b"admin-dashboard",
        }
    }
}

/// A fresh nonce for the cookie.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a cookie value can be a nonce this module made (else a new one is set).
pub fn is_nonce(value: &str) -> bool {
    value.len() == ENCODED_LEN && URL_SAFE_NO_PAD.decode(value).is_ok_and(|b| b.len() == 32)
}

fn message(kind: FormKind, challenge: &str, nonce: &str) -> Vec<u8> {
    // NUL cannot occur in the challenge (base64url) or the nonce: the parts are unambiguous.
    let mut data = Vec::with_capacity(kind.label().len() + challenge.len() + nonce.len() + 2);
    data.extend_from_slice(kind.label());
    data.push(0);
    data.extend_from_slice(challenge.as_bytes());
    data.push(0);
    data.extend_from_slice(nonce.as_bytes());
    data
}

/// The token a form of `kind` for `challenge` carries in a browser with `nonce`.
/// `None` only when the key ring is empty (config validation prevents it).
pub fn token(keys: &KeyRing, kind: FormKind, challenge: &str, nonce: &str) -> Option<String> {
    keys.sign(Purpose::LoginUiCsrf, &message(kind, challenge, nonce))
        .map(|mac| URL_SAFE_NO_PAD.encode(mac))
}

/// Whether `token` is the token of `kind` for `challenge` and the browser's `nonce`
/// (under any configured secret, so a secret rotation does not break open forms);
/// constant-time in the token.
pub fn verify(
    keys: &KeyRing,
    kind: FormKind,
    challenge: &str,
    nonce: Option<&str>,
    token: Option<&str>,
) -> bool {
    let (Some(nonce), Some(token)) = (nonce, token) else {
        return false;
    };
    if !is_nonce(nonce) || token.len() != ENCODED_LEN {
        return false;
    }
    let Ok(mac) = URL_SAFE_NO_PAD.decode(token) else {
        return false;
    };
    keys.verify(Purpose::LoginUiCsrf, &message(kind, challenge, nonce), &mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_bound_to_kind_challenge_and_nonce() {
        let keys = KeyRing::new(&["a-system-secret-of-enough-length".into()]);
        let nonce = new_nonce();
        assert!(is_nonce(&nonce));
        let t = token(&keys, FormKind::Login, "ch1", &nonce).unwrap();
        assert!(verify(
            &keys,
            FormKind::Login,
            "ch1",
            Some(&nonce),
            Some(&t)
        ));
        assert!(!verify(
            &keys,
            FormKind::Consent,
            "ch1",
            Some(&nonce),
            Some(&t)
        ));
        assert!(!verify(
            &keys,
            FormKind::Login,
            "ch2",
            Some(&nonce),
            Some(&t)
        ));
        assert!(!verify(
            &keys,
            FormKind::Login,
            "ch1",
            Some(&new_nonce()),
            Some(&t)
        ));
        assert!(!verify(&keys, FormKind::Login, "ch1", None, Some(&t)));
        assert!(!verify(&keys, FormKind::Login, "ch1", Some(&nonce), None));
        assert!(!verify(
            &keys,
            FormKind::Login,
            "ch1",
            Some(&nonce),
            Some("x")
        ));
        let other = KeyRing::new(&["another-system-secret-of-length".into()]);
        assert!(!verify(
            &other,
            FormKind::Login,
            "ch1",
            Some(&nonce),
            Some(&t)
        ));
        let rotated = KeyRing::new(&[
            "another-system-secret-of-length".into(),
            "a-system-secret-of-enough-length".into(),
        ]);
        assert!(verify(
            &rotated,
            FormKind::Login,
            "ch1",
            Some(&nonce),
            Some(&t)
        ));
    }
}

//! Cookies the flow sets, described without HTTP types (the handler renders them):
//! CSRF cookies binding each step to the user agent that started it, and the
//! authentication session cookie. Host-only (no Domain unless configured), so dev mode
//! works on `localhost` and `127.0.0.1` alike; `Secure` outside dev mode.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{Config, SameSiteMode};

/// A cookie to set (or, with `max_age == Some(0)`, to delete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// Seconds; `None` is a session cookie.
    pub max_age: Option<i64>,
    pub secure: bool,
    pub same_site: SameSiteMode,
    pub domain: Option<String>,
}

impl SetCookie {
    pub fn new(config: &Config, name: &str, value: String, max_age: Option<i64>) -> Self {
        let cookies = &config.serve.cookies;
        Self {
            name: name.to_owned(),
            value,
            max_age,
            secure: cookies.secure || !config.dev,
            same_site: cookies.same_site_mode,
            domain: cookies.domain.clone(),
        }
    }

    pub fn delete(config: &Config, name: &str) -> Self {
        Self::new(config, name, String::new(), Some(0))
    }
}

/// A fresh CSRF token and the hash the flow state keeps of it.
pub fn new_csrf() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = csrf_hash(&token);
    (token, hash)
}

pub fn csrf_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Whether the cookie's token hashes to the flow's hash; constant-time.
pub fn csrf_matches(cookie: Option<&str>, expected_hash: &str) -> bool {
    match cookie {
        Some(token) => csrf_hash(token)
            .as_bytes()
            .ct_eq(expected_hash.as_bytes())
            .into(),
        None => false,
    }
}

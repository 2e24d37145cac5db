//! The device authorization grant's protocol side (RFC 8628): the device
//! authorization endpoint (`authorization.rs`), user codes (`user_code.rs`), and how
//! an approved device authorization becomes the authorization request the login and
//! consent steps run on and the grant the token endpoint issues
//! (`approval.rs`). The browser side is `flow::device`; the token endpoint's polling
//! is `oauth2::grants::device_code`.

pub mod approval;
pub mod authorization;
pub mod user_code;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The prefix of device codes, so they are recognisable in logs and secret scanners.
pub const DEVICE_CODE_PREFIX: &str = "ptn_dc_";

/// The longest `device_code` looked up: ours are 50 characters.
pub const MAX_DEVICE_CODE_LEN: usize = 128;

/// A fresh device code: 256 random bits (RFC 8628 §5.2: device codes must be
/// unguessable), base64url, after [`DEVICE_CODE_PREFIX`].
pub fn new_device_code() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{DEVICE_CODE_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The path of the verification endpoint (RFC 8628 §3.2 `verification_uri`).
pub const VERIFICATION_PATH: &str = "/oauth2/device/verify";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_codes_are_fresh_long_and_prefixed() {
        let (a, b) = (new_device_code(), new_device_code());
        assert_ne!(a, b);
        assert!(a.starts_with(DEVICE_CODE_PREFIX));
        assert_eq!(a.len(), DEVICE_CODE_PREFIX.len() + 43);
        assert!(a.len() <= MAX_DEVICE_CODE_LEN);
    }
}

//! User codes (RFC 8628 §6.1): drawn uniformly from the configured alphabet
//! (`config::UserCodeFormat`), compared case-insensitively and without the separators
//! users type, stored and looked up only as a keyed hash.

use rand::Rng;

use crate::config::UserCodeFormat;
use crate::secrets::{KeyRing, Purpose};
use crate::storage::device_codes::hex;

/// The longest user code input considered: anything longer cannot be a code.
pub const MAX_USER_CODE_INPUT: usize = 128;

/// A fresh user code of `format` (each character uniform over the alphabet).
pub fn generate(format: &UserCodeFormat) -> String {
    let mut rng = rand::rng();
    (0..format.length)
        .filter_map(|_| {
            format
                .alphabet
                .get(rng.random_range(0..format.alphabet.len()))
                .map(|&b| char::from(b))
        })
        .collect()
}

/// What the user typed, as stored codes are: upper case, without the separators
/// (`-`, spaces) people add when they read a code off a screen (RFC 8628 §6.1).
/// `None` when it cannot be a code of `format` (wrong length or character).
pub fn normalize(input: &str, format: &UserCodeFormat) -> Option<String> {
    if input.len() > MAX_USER_CODE_INPUT {
        return None;
    }
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let fits = code.len() == format.length && code.bytes().all(|b| format.alphabet.contains(&b));
    fits.then_some(code)
}

/// The storage keys of a normalized code: its HMAC under each configured secret, the
/// current one first (a code stored before a secret rotation is still found).
pub fn keys(ring: &KeyRing, code: &str) -> Vec<String> {
    ring.sign_each(Purpose::DeviceUserCode, code.as_bytes())
        .iter()
        .map(|mac| hex(mac))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{UserCodeConfig, UserCodeFormat};

    fn default_format() -> UserCodeFormat {
        UserCodeFormat::from_config(&UserCodeConfig::default()).unwrap()
    }

    #[test]
    fn rfc8628_6_1_default_codes_are_8_consonants() {
        let format = default_format();
        for _ in 0..200 {
            let code = generate(&format);
            assert_eq!(code.len(), 8);
            assert!(
                code.bytes().all(|b| b"BCDFGHJKLMNPQRSTVWXZ".contains(&b)),
                "{code}"
            );
        }
        // 20^8: about 34.6 bits.
        assert!((format.entropy_bits() - 34.57).abs() < 0.01);
    }

    #[test]
    fn rfc8628_6_1_input_is_normalized_case_and_separators() {
        let format = default_format();
        assert_eq!(normalize("wdjb-mjht", &format).as_deref(), Some("WDJBMJHT"));
        assert_eq!(
            normalize(" WDJB MJHT ", &format).as_deref(),
            Some("WDJBMJHT")
        );
        assert_eq!(normalize("WDJBMJH", &format), None);
        assert_eq!(
            normalize("WDJBMJHA", &format),
            None,
            "a vowel is not in the alphabet"
        );
        assert_eq!(normalize(&"B".repeat(500), &format), None);
        assert_eq!(normalize("ŴDJBMJHT", &format), None);
    }

    #[test]
    fn keys_depend_on_the_secret_and_cover_every_secret() {
        let ring = KeyRing::new(&[
            "first-secret-0123456789".into(),
            "older-secret-0123456789".into(),
        ]);
        let keys = keys(&ring, "WDJBMJHT");
        assert_eq!(keys.len(), 2);
        assert_ne!(keys[0], keys[1]);
        assert_eq!(keys[0].len(), 64);
        assert!(!keys[0].contains("WDJBMJHT"));
    }

    #[test]
    fn presets_and_custom_sets() {
        let preset = |name: &str| {
            UserCodeFormat::from_config(&UserCodeConfig {
                entropy_preset: Some(name.into()),
                ..UserCodeConfig::default()
            })
        };
        assert_eq!(preset("low").unwrap().alphabet, b"0123456789");
        assert_eq!(preset("high").unwrap().length, 10);
        assert!(preset("extreme").is_err());
        let custom = |length, set: &str| {
            UserCodeFormat::from_config(&UserCodeConfig {
                length: Some(length),
                character_set: Some(set.into()),
                ..UserCodeConfig::default()
            })
        };
        assert!(custom(9, "ABCDEFGH").is_ok());
        assert!(custom(5, "ABCDEFGH").is_err(), "too short");
        assert!(custom(9, "ABCDEFG").is_err(), "too few characters");
        assert!(custom(9, "ABCDEFGA").is_err(), "repeated character");
        assert!(custom(9, "ABCDEFGa").is_err(), "both cases");
        assert!(custom(9, "ABCDEFG-").is_err(), "a separator");
    }
}

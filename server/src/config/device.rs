//! Hydra's `oauth2.device_authorization` (RFC 8628): the polling interval and the
//! user codes' format, with the presets and the checks of a custom format.

use serde::{Deserialize, Serialize};

use crate::duration::GoDuration;

/// Hydra's `oauth2.device_authorization` (RFC 8628).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DeviceAuthorizationConfig {
    /// The polling `interval` handed to devices (RFC 8628 §3.2), 1s to 1m; a device
    /// polling faster gets `slow_down` and 5 s more (§3.5).
    pub token_polling_interval: GoDuration,
    pub user_code: UserCodeConfig,
}

impl Default for DeviceAuthorizationConfig {
    fn default() -> Self {
        Self {
            token_polling_interval: GoDuration::from_secs(5),
            user_code: UserCodeConfig::default(),
        }
    }
}

/// Hydra's `oauth2.device_authorization.user_code`: a preset, or a length and a
/// character set; plus `max_attempts` (a Portunus addition, RFC 8628 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UserCodeConfig {
    /// `low`, `medium` (the default) or `high` (`oauth2::device::user_code`).
    pub entropy_preset: Option<String>,
    /// Characters per code, 6 to 32, with `character_set`.
    pub length: Option<usize>,
    /// The characters codes are drawn from: 8 to 64 distinct ASCII letters and digits.
    pub character_set: Option<String>,
    /// Wrong user codes one device challenge may submit before it is locked; 1 to 10.
    pub max_attempts: u32,
}

impl Default for UserCodeConfig {
    fn default() -> Self {
        Self {
            entropy_preset: None,
            length: None,
            character_set: None,
            max_attempts: 5,
        }
    }
}

/// How user codes are drawn: `length` characters of `alphabet`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCodeFormat {
    pub alphabet: Vec<u8>,
    pub length: usize,
}

/// RFC 8628 §6.1's example alphabet: consonants only, so no words can form, and
/// without digits and vowels, so nothing reads as something else (no O/0, I/1).
pub const CONSONANTS: &str = "BCDFGHJKLMNPQRSTVWXZ";

/// Letters and digits without the look-alikes 0/O, 1/I/L (Hydra's example set).
pub const NO_LOOK_ALIKES: &str = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

impl UserCodeFormat {
    /// The format `config` names. `low`: 8 digits (26.6 bits); `medium`, the default:
    /// 8 of [`CONSONANTS`] (34.6 bits, RFC 8628 §6.1's example); `high`: 10 of
    /// [`NO_LOOK_ALIKES`] (49.5 bits). An error names the key and the problem.
    pub fn from_config(config: &UserCodeConfig) -> Result<Self, (&'static str, String)> {
        let preset = |alphabet: &str, length| Self {
            alphabet: alphabet.as_bytes().to_vec(),
            length,
        };
        match (&config.entropy_preset, config.length, &config.character_set) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err((
                "oauth2.device_authorization.user_code.entropy_preset",
                "set either entropy_preset or length and character_set, not both".into(),
            )),
            (Some(name), None, None) => match name.as_str() {
                "low" => Ok(preset("0123456789", 8)),
                "medium" => Ok(preset(CONSONANTS, 8)),
                "high" => Ok(preset(NO_LOOK_ALIKES, 10)),
                other => Err((
                    "oauth2.device_authorization.user_code.entropy_preset",
                    format!("{other:?} is not low, medium or high"),
                )),
            },
            (None, None, None) => Ok(preset(CONSONANTS, 8)),
            (None, Some(length), Some(set)) => {
                let mut alphabet: Vec<u8> = set.bytes().collect();
                alphabet.sort_unstable();
                alphabet.dedup();
                if !(6..=32).contains(&length) {
                    return Err((
                        "oauth2.device_authorization.user_code.length",
                        "must be between 6 and 32".into(),
                    ));
                }
                if !set.bytes().all(|b| b.is_ascii_alphanumeric())
                    || alphabet.len() != set.len()
                    || !(8..=64).contains(&alphabet.len())
                {
                    return Err((
                        "oauth2.device_authorization.user_code.character_set",
                        "must be 8 to 64 distinct ASCII letters and digits".into(),
                    ));
                }
                // Codes are compared case-insensitively (RFC 8628 §6.1): "a" and "A"
                // would be one character.
                let upper: std::collections::BTreeSet<u8> =
                    alphabet.iter().map(u8::to_ascii_uppercase).collect();
                if upper.len() != alphabet.len() {
                    return Err((
                        "oauth2.device_authorization.user_code.character_set",
                        "must not hold a letter in both cases: user codes are case-insensitive"
                            .into(),
                    ));
                }
                Ok(Self {
                    alphabet: set.to_ascii_uppercase().into_bytes(),
                    length,
                })
            }
            (None, _, _) => Err((
                "oauth2.device_authorization.user_code.length",
                "length and character_set must be set together".into(),
            )),
        }
    }

    /// The entropy of one code in bits.
    pub fn entropy_bits(&self) -> f64 {
        let small = |n: usize| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
        small(self.alphabet.len()).log2() * small(self.length)
    }
}

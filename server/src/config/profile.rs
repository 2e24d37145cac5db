//! The security profile switch: `oauth2.profile` for every client, `fapi_profile` per
//! client (`oauth2::fapi2` enforces it, `client::validate::fapi2` checks a client's
//! metadata against it, discovery advertises it).

use serde::{Deserialize, Serialize};

/// A security profile a server or a client opts into. `none` (the default) is plain
/// OAuth 2.0 / OpenID Connect as configured; `fapi2` is the FAPI 2.0 Security Profile
/// (final), enforced as `docs/fapi2.md` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SecurityProfile {
    #[default]
    #[serde(rename = "none", alias = "")]
    None,
    #[serde(rename = "fapi2")]
    Fapi2,
}

impl SecurityProfile {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Fapi2 => "fapi2",
        }
    }

    /// The wire value of a client's `fapi_profile`: `""` / `"none"` or `"fapi2"`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "" | "none" => Some(Self::None),
            "fapi2" => Some(Self::Fapi2),
            _ => None,
        }
    }

    /// Whether a client registered with `client` is under the FAPI 2.0 Security
    /// Profile on a server configured with `self` (either switch suffices).
    pub fn covers_fapi2(self, client: Self) -> bool {
        self == Self::Fapi2 || client == Self::Fapi2
    }
}

/// FAPI 2.0 Security Profile §5.4.1: the only JWS algorithms for every signature it
/// governs (request objects, client assertions, DPoP proofs): PS256, ES256, EdDSA
/// (Ed25519). RS256 and `none` are not among them.
pub const FAPI2_SIGNING_ALGORITHMS: [&str; 3] = ["PS256", "ES256", "EdDSA"];

/// FAPI 2.0 Security Profile §5.3.2.1: authorization codes live at most 60 seconds.
pub const FAPI2_MAX_CODE_LIFETIME_SECS: i64 = 60;

impl super::Config {
    /// `oauth2.dpop` as enforced: under `oauth2.profile: fapi2` only the algorithms of
    /// [`FAPI2_SIGNING_ALGORITHMS`] stay in `signing_algorithms`, so the verifier and
    /// discovery's `dpop_signing_alg_values_supported` agree on exactly what is on.
    pub fn effective_dpop(&self) -> super::DpopConfig {
        let mut dpop = self.oauth2.dpop.clone();
        if self.oauth2.profile == SecurityProfile::Fapi2 {
            dpop.signing_algorithms
                .retain(|alg| FAPI2_SIGNING_ALGORITHMS.contains(&alg.as_str()));
        }
        dpop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_switch_covers_a_client() {
        use SecurityProfile::{Fapi2, None};
        assert!(!None.covers_fapi2(None));
        assert!(Fapi2.covers_fapi2(None));
        assert!(None.covers_fapi2(Fapi2));
    }

    #[test]
    fn wire_values_parse() {
        assert_eq!(SecurityProfile::parse(""), Some(SecurityProfile::None));
        assert_eq!(
            SecurityProfile::parse("fapi2"),
            Some(SecurityProfile::Fapi2)
        );
        assert_eq!(SecurityProfile::parse("FAPI2"), None);
        let yaml: SecurityProfile = serde_json::from_str("\"fapi2\"").unwrap();
        assert_eq!(yaml, SecurityProfile::Fapi2);
    }
}

//! A client's token exchange policy (RFC 8693 §2.1 leaves "the authorization server's
//! policy" open): the client field `token_exchange`, set over the admin API only. A
//! client without one may not exchange tokens at all, even when registered for the
//! grant type (absent means deny).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::OAuth2Error;

/// At most this many entries in each list: every token request walks them.
pub const MAX_ENTRIES: usize = 100;
/// At most this many characters per entry (the stored audience column's bound).
const MAX_ENTRY_LEN: usize = 255;

/// RFC 8693 token exchange policy of one client (a Portunus addition to Hydra's
/// client). Absent: the client may not exchange tokens.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
#[schema(as = oAuth2ClientTokenExchangePolicy)]
pub struct TokenExchangePolicy {
    /// Whether the client may exchange a subject token without an actor token, for a
    /// token that represents the subject alone (RFC 8693 §1.1 impersonation).
    pub allow_impersonation: bool,
    /// Whether the client may present an actor token, for a token whose `act` claim
    /// names the actor (RFC 8693 §1.1 delegation, §4.1).
    pub allow_delegation: bool,
    /// The audiences and resources (RFC 8693 §2.1 `audience`, `resource`) the client
    /// may exchange into; anything else is `invalid_target`.
    pub allowed_audiences: Vec<String>,
    /// Issuers of `urn:ietf:params:oauth:token-type:jwt` subject and actor tokens the
    /// client may present (each also needs a trust relationship, `/admin/trust/grants/
    /// jwt-bearer/issuers`). Tokens of this server are always accepted.
    pub allowed_subject_token_issuers: Vec<String>,
}

fn bad(message: String) -> OAuth2Error {
    OAuth2Error::invalid_client_metadata(message)
}

fn check_list(field: &str, values: &[String], url: bool) -> Result<(), OAuth2Error> {
    if values.len() > MAX_ENTRIES {
        return Err(bad(format!(
            "Field token_exchange.{field} has {} entries; at most {MAX_ENTRIES} are allowed.",
            values.len()
        )));
    }
    for value in values {
        let plain = !value.is_empty()
            && value.chars().count() <= MAX_ENTRY_LEN
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        let parsed = url::Url::parse(value).ok();
        let absolute = parsed.as_ref().is_some_and(|u| u.fragment().is_none());
        let web = parsed
            .as_ref()
            .is_some_and(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
        if !plain || (url && !web) || !absolute {
            return Err(bad(format!(
                "Field token_exchange.{field} must hold absolute URIs without a fragment{} of at most {MAX_ENTRY_LEN} characters.",
                if url { " (http or https)" } else { "" }
            )));
        }
    }
    Ok(())
}

impl TokenExchangePolicy {
    /// The admin API's checks: absolute URIs, bounded lists.
    pub fn validate(&self) -> Result<(), OAuth2Error> {
        check_list("allowed_audiences", &self.allowed_audiences, false)?;
        check_list(
            "allowed_subject_token_issuers",
            &self.allowed_subject_token_issuers,
            true,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(audiences: &[&str], issuers: &[&str]) -> TokenExchangePolicy {
        TokenExchangePolicy {
            allowed_audiences: audiences.iter().map(|s| (*s).to_owned()).collect(),
            allowed_subject_token_issuers: issuers.iter().map(|s| (*s).to_owned()).collect(),
            ..TokenExchangePolicy::default()
        }
    }

    #[test]
    fn lists_hold_absolute_uris() {
        assert!(
            policy(
                &["https://api.example.com", "urn:example:api"],
                &["https://idp.example"]
            )
            .validate()
            .is_ok()
        );
        for bad in [
            policy(&["api"], &[]),
            policy(&["https://api.example.com#x"], &[]),
            policy(&["https://a.example/ b"], &[]),
            policy(&[""], &[]),
            policy(&[], &["urn:example:idp"]),
            policy(&[&format!("https://a.example/{}", "x".repeat(300))], &[]),
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        let many: Vec<String> = (0..=MAX_ENTRIES)
            .map(|i| format!("https://a.example/{i}"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(policy(&refs, &[]).validate().is_err());
    }
}

//! `response_type` (RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Type Encoding
//! Practices §3–§5, OIDC Core §3): a set of the words `code`, `token` and `id_token`,
//! what the client must have registered for it, and the response modes it allows.

use serde::{Deserialize, Serialize};

use super::request::ResponseMode;
use crate::client::model::{Client, GrantType};
use crate::error::{ErrorKind, OAuth2Error};

/// The words of one `response_type`, order-insensitive (Multiple Response Type
/// Encoding Practices §3: "the order of values does not matter").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseType {
    pub code: bool,
    pub token: bool,
    pub id_token: bool,
}

impl Default for ResponseType {
    /// `code`: what every request was before the implicit and hybrid flows.
    fn default() -> Self {
        Self::CODE
    }
}

impl ResponseType {
    pub const CODE: Self = Self {
        code: true,
        token: false,
        id_token: false,
    };

    /// Parses a space-separated value; unknown or repeated words are `None`.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parsed = Self {
            code: false,
            token: false,
            id_token: false,
        };
        for word in value.split(' ').filter(|w| !w.is_empty()) {
            let slot = match word {
                "code" => &mut parsed.code,
                "token" => &mut parsed.token,
                "id_token" => &mut parsed.id_token,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        (parsed.code || parsed.token || parsed.id_token).then_some(parsed)
    }

    /// Only `code`: the authorization code flow (RFC 6749 §4.1, OIDC Core §3.1).
    pub fn is_code_only(self) -> bool {
        self == Self::CODE
    }

    /// Tokens travel in the authorization response (OIDC Core §3.2, §3.3).
    pub fn returns_tokens(self) -> bool {
        self.token || self.id_token
    }

    /// Multiple Response Type Encoding Practices §5 (and §2.1): `code` defaults to
    /// `query`, anything returning tokens to `fragment`.
    pub fn default_mode(self) -> ResponseMode {
        if self.returns_tokens() {
            ResponseMode::Fragment
        } else {
            ResponseMode::Query
        }
    }

    /// Multiple Response Type Encoding Practices §3.0: tokens must not be sent in the
    /// query ("MUST NOT use the query encoding").
    pub fn check_mode(self, mode: ResponseMode) -> Result<(), OAuth2Error> {
        if mode == ResponseMode::Query && self.returns_tokens() {
            return Err(OAuth2Error::invalid_request(
                "response_mode=query is not allowed for a response_type that returns tokens; use fragment or form_post.",
            ));
        }
        Ok(())
    }

    /// Whether this server serves the type: plain `token` (the OAuth 2.0 implicit grant
    /// without OpenID Connect, discouraged by RFC 9700 §2.1.2) only when
    /// `oauth2.allow_token_response_type` is on.
    pub fn check_supported(self, allow_plain_token: bool) -> Result<(), OAuth2Error> {
        let plain_token = self.token && !self.code && !self.id_token;
        if plain_token && !allow_plain_token {
            return Err(OAuth2Error::new(ErrorKind::UnsupportedResponseType).with_hint(
                "The response_type token is disabled on this server (RFC 9700 Section 2.1.2); use code (oauth2.allow_token_response_type).",
            ));
        }
        Ok(())
    }

    /// The client registered this type (a set match of words) and the grants it uses:
    /// `authorization_code` for `code`, `implicit` for `token`/`id_token`.
    pub fn check_client(self, client: &Client) -> Result<(), OAuth2Error> {
        let registered = client
            .response_types
            .iter()
            .any(|r| Self::parse(r) == Some(self));
        let grants = (!self.code || client.has_grant(GrantType::AuthorizationCode))
            && (!self.returns_tokens() || client.has_grant(GrantType::Implicit));
        if registered && grants {
            return Ok(());
        }
        Err(
            OAuth2Error::new(ErrorKind::UnauthorizedClient).with_hint(format!(
                "The client is not allowed to use response_type '{self}': it must register it in response_types and the grant types it uses (authorization_code for code, implicit for token and id_token)."
            )),
        )
    }
}

impl std::fmt::Display for ResponseType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let words: Vec<&str> = [
            (self.code, "code"),
            (self.id_token, "id_token"),
            (self.token, "token"),
        ]
        .into_iter()
        .filter_map(|(on, word)| on.then_some(word))
        .collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_a_set() {
        let hybrid = ResponseType::parse("token id_token code").unwrap();
        assert_eq!(ResponseType::parse("code id_token token"), Some(hybrid));
        assert_eq!(hybrid.to_string(), "code id_token token");
        assert_eq!(ResponseType::parse("code code"), None);
        assert_eq!(ResponseType::parse("code device"), None);
        assert_eq!(ResponseType::parse(""), None);
        assert!(ResponseType::parse("code").unwrap().is_code_only());
    }

    #[test]
    fn modes() {
        let implicit = ResponseType::parse("id_token").unwrap();
        assert_eq!(implicit.default_mode(), ResponseMode::Fragment);
        assert!(implicit.check_mode(ResponseMode::Query).is_err());
        assert!(implicit.check_mode(ResponseMode::FormPost).is_ok());
        assert_eq!(ResponseType::CODE.default_mode(), ResponseMode::Query);
        let token = ResponseType::parse("token").unwrap();
        assert!(token.check_supported(false).is_err());
        assert!(token.check_supported(true).is_ok());
        assert!(
            ResponseType::parse("code token")
                .unwrap()
                .check_supported(false)
                .is_ok()
        );
    }
}

//! RFC 8693 §3: the token type identifiers of `subject_token_type`,
//! `actor_token_type`, `requested_token_type` and `issued_token_type`, parsed at the
//! edge; an unknown or unsupported one is `invalid_request` (§2.2.2).

use crate::error::OAuth2Error;

/// A token type identifier this server reads or issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTypeUri {
    /// `urn:ietf:params:oauth:token-type:access_token`: an access token of this server
    /// (opaque or RFC 9068 JWT).
    AccessToken,
    /// `urn:ietf:params:oauth:token-type:refresh_token` (issued only).
    RefreshToken,
    /// `urn:ietf:params:oauth:token-type:id_token`: an ID token of this server.
    IdToken,
    /// `urn:ietf:params:oauth:token-type:jwt`: a JWT of this server or of a trusted
    /// issuer.
    Jwt,
}

impl TokenTypeUri {
    pub const ALL: [Self; 4] = [
        Self::AccessToken,
        Self::RefreshToken,
        Self::IdToken,
        Self::Jwt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "urn:ietf:params:oauth:token-type:access_token",
            Self::RefreshToken => "urn:ietf:params:oauth:token-type:refresh_token",
            Self::IdToken => "urn:ietf:params:oauth:token-type:id_token",
            Self::Jwt => "urn:ietf:params:oauth:token-type:jwt",
        }
    }

    /// The type named by the request parameter `parameter`; refresh tokens are never
    /// accepted as subject or actor tokens (they are the client's credential, RFC 6749
    /// §1.5, not a statement about a subject).
    pub fn parse_presented(parameter: &str, value: &str) -> Result<Self, OAuth2Error> {
        Self::ALL
            .into_iter()
            .filter(|t| *t != Self::RefreshToken)
            .find(|t| t.as_str() == value)
            .ok_or_else(|| unsupported(parameter, value))
    }

    /// `requested_token_type`: any of the four.
    pub fn parse_requested(value: &str) -> Result<Self, OAuth2Error> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| unsupported("requested_token_type", value))
    }
}

fn unsupported(parameter: &str, value: &str) -> OAuth2Error {
    let shown: String = value.chars().take(100).collect();
    OAuth2Error::invalid_request(format!(
        "The {parameter} '{shown}' is not supported; use one of the token type identifiers of RFC 8693 Section 3 this server accepts."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_parse_at_the_edge() {
        for t in TokenTypeUri::ALL {
            assert_eq!(TokenTypeUri::parse_requested(t.as_str()).unwrap(), t);
        }
        let refresh = TokenTypeUri::RefreshToken.as_str();
        assert!(TokenTypeUri::parse_presented("subject_token_type", refresh).is_err());
        assert!(TokenTypeUri::parse_presented("subject_token_type", "urn:x").is_err());
        assert!(TokenTypeUri::parse_requested("urn:ietf:params:oauth:token-type:saml2").is_err());
    }
}

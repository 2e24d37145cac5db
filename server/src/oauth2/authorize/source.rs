//! Where an authorization request's parameters come from. Today one source: the plain
//! query or form parameters (RFC 6749 §4.1.1). Pushed requests (RFC 9126, `request_uri`)
//! and request objects (RFC 9101, `request`) are sources that register here: each
//! resolves to the effective parameters, which are then validated once, the same way
//! (`validate.rs`), whatever their source.

use std::borrow::Cow;

use crate::error::OAuth2Error;
use crate::oauth2::form::FormParams;

/// The source the request's own parameters name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestSource {
    /// The query (GET) or form (POST) parameters themselves.
    Plain,
}

impl RequestSource {
    /// Which source `params` name. `request` and `request_uri` (OIDC Core §6, RFC 9101,
    /// RFC 9126) name sources this server does not serve yet: `invalid_request`, sent
    /// to the client's redirect URI as OIDC Core §3.1.2.6 has it.
    pub fn of(params: &FormParams) -> Result<Self, OAuth2Error> {
        for unsupported in ["request", "request_uri"] {
            if params.has(unsupported) {
                return Err(OAuth2Error::invalid_request(format!(
                    "The {unsupported} parameter (OIDC Core Section 6) is not supported."
                )));
            }
        }
        Ok(Self::Plain)
    }

    /// The effective parameters of a request from this source (borrowed when they are
    /// the request's own, owned when a source builds them).
    pub fn resolve(self, params: &FormParams) -> Cow<'_, FormParams> {
        match self {
            Self::Plain => Cow::Borrowed(params),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> FormParams {
        FormParams::from_pairs(pairs)
    }

    #[test]
    fn plain_parameters_are_their_own_effective_parameters() {
        let plain = params(&[("client_id", "app"), ("scope", "openid")]);
        let source = RequestSource::of(&plain).unwrap();
        assert_eq!(source, RequestSource::Plain);
        assert_eq!(source.resolve(&plain).get("scope").unwrap(), Some("openid"));
    }

    #[test]
    fn request_objects_and_request_uris_are_refused_by_name() {
        for name in ["request", "request_uri"] {
            let err = RequestSource::of(&params(&[(name, "x")])).unwrap_err();
            assert!(err.description().contains(name), "{err:?}");
        }
    }
}

//! Where an authorization request's parameters come from: the plain query or form
//! parameters (RFC 6749 §4.1.1), a pushed request (RFC 9126, `request_uri` of
//! `/oauth2/par`), or a request object (RFC 9101, `request` by value or `request_uri`
//! by reference). Each source resolves to the effective parameters, which are then
//! validated once, the same way (`validate.rs`), whatever their source.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use super::request_object::{RequestObjects, invalid_uri};
use crate::client::model::Client;
use crate::error::OAuth2Error;
use crate::oauth2::form::FormParams;
use crate::storage::PushedRequestStore;
use crate::storage::pushed_requests::pushed_request_key;

/// RFC 9126 §2.2: the URN prefix of the `request_uri`s `/oauth2/par` hands out.
pub const PUSHED_REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// A fresh random reference for a pushed request (256 bits, base64url): the part of
/// its `request_uri` after [`PUSHED_REQUEST_URI_PREFIX`].
pub fn new_pushed_reference() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a source needs to resolve.
pub struct SourceContext<'a> {
    pub pushed_requests: &'a dyn PushedRequestStore,
    pub request_objects: &'a RequestObjects,
    pub now: DateTime<Utc>,
}

/// The source the request's own parameters name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestSource {
    /// The query (GET) or form (POST) parameters themselves.
    Plain,
    /// RFC 9126 §4: a request pushed to `/oauth2/par`, by its reference.
    Pushed(String),
    /// RFC 9101 §2.1 / OIDC Core §6.1: a request object passed by value.
    Object(String),
    /// RFC 9101 §2.2 / OIDC Core §6.2: a request object at a URL the client hosts.
    ObjectUri(String),
}

impl RequestSource {
    /// Which source `params` name: `request_uri` with the PAR prefix is a pushed
    /// request, any other `request_uri` a hosted request object. `request` and
    /// `request_uri` together are `invalid_request` (RFC 9101 §5).
    pub fn of(params: &FormParams) -> Result<Self, OAuth2Error> {
        match (params.get("request")?, params.get("request_uri")?) {
            (Some(_), Some(_)) => Err(OAuth2Error::invalid_request(
                "The request and request_uri parameters must not both be used (RFC 9101 Section 5).",
            )),
            (Some(object), None) => Ok(Self::Object(object.to_owned())),
            (None, Some(uri)) => Ok(match uri.strip_prefix(PUSHED_REQUEST_URI_PREFIX) {
                Some(reference) => Self::Pushed(reference.to_owned()),
                None => Self::ObjectUri(uri.to_owned()),
            }),
            (None, None) => Ok(Self::Plain),
        }
    }

    /// Whether the parameters were pushed to `/oauth2/par` (RFC 9126 §5).
    pub fn is_pushed(&self) -> bool {
        matches!(self, Self::Pushed(_))
    }

    /// The effective parameters of a request from this source for `client` (borrowed
    /// when they are the request's own, owned when a source builds them). A pushed
    /// request is used up here: its `request_uri` works once (RFC 9126 §4).
    pub async fn resolve<'p>(
        &self,
        ctx: &SourceContext<'_>,
        client: &Client,
        params: &'p FormParams,
    ) -> Result<Cow<'p, FormParams>, OAuth2Error> {
        match self {
            Self::Plain => Ok(Cow::Borrowed(params)),
            Self::Pushed(reference) => {
                let taken = ctx
                    .pushed_requests
                    .take_pushed_request(&pushed_request_key(reference), &client.client_id, ctx.now)
                    .await?;
                // RFC 9126 §4: only the pushed parameters count; the query's others
                // are ignored.
                taken
                    .map(|pushed| Cow::Owned(FormParams::new(pushed.parameters)))
                    .ok_or_else(|| {
                        invalid_uri(
                            "The request_uri is unknown, expired, used already, or was pushed by another client.",
                        )
                    })
            }
            Self::Object(jwt) => Ok(Cow::Owned(
                ctx.request_objects.resolve(client, jwt, params).await?,
            )),
            Self::ObjectUri(uri) => {
                let jwt = ctx.request_objects.fetch(client, uri).await?;
                Ok(Cow::Owned(
                    ctx.request_objects.resolve(client, &jwt, params).await?,
                ))
            }
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
    fn plain_parameters_name_the_plain_source() {
        let plain = params(&[("client_id", "app"), ("scope", "openid")]);
        assert_eq!(RequestSource::of(&plain).unwrap(), RequestSource::Plain);
    }

    #[test]
    fn rfc9126_4_request_uris_with_the_par_prefix_are_pushed_requests() {
        let pushed = params(&[("request_uri", "urn:ietf:params:oauth:request_uri:abc")]);
        let source = RequestSource::of(&pushed).unwrap();
        assert_eq!(source, RequestSource::Pushed("abc".into()));
        assert!(source.is_pushed());
        let hosted = params(&[("request_uri", "https://client.example/r.jwt")]);
        assert_eq!(
            RequestSource::of(&hosted).unwrap(),
            RequestSource::ObjectUri("https://client.example/r.jwt".into())
        );
        assert_eq!(
            RequestSource::of(&params(&[("request", "a.b.c")])).unwrap(),
            RequestSource::Object("a.b.c".into())
        );
    }

    #[test]
    fn rfc9101_5_request_and_request_uri_together_are_refused() {
        let both = params(&[("request", "a.b.c"), ("request_uri", "https://x.example")]);
        assert!(RequestSource::of(&both).is_err());
    }

    #[test]
    fn pushed_references_are_fresh_and_long() {
        let (a, b) = (new_pushed_reference(), new_pushed_reference());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
    }
}

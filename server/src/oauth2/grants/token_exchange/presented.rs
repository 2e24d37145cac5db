//! The subject and actor tokens of a token exchange (RFC 8693 §2.1), resolved to what
//! the exchange needs of them. Accepted:
//! - `access_token`: an active access token of this server, opaque or RFC 9068 JWT,
//!   issued to the requesting client or naming it in its audience;
//! - `id_token`: an unexpired ID token of this server issued to the requesting client;
//! - `jwt`: either of the above as a JWT, or a JWT of an issuer in the client's
//!   `allowed_subject_token_issuers` that verifies with a key trusted for its issuer and
//!   subject (the trust API of the JWT bearer grant), with `exp` in the future.
//!
//! RFC 8693 §2.2.2: a token that is "invalid for any reason" or "unacceptable based on
//! policy" is `invalid_request`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::token_types::TokenTypeUri;
use crate::client::model::Client;
use crate::client::token_exchange::TokenExchangePolicy;
use crate::error::OAuth2Error;
use crate::jwk::{ID_TOKEN_SET, Verifier};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::introspect::{self, ActiveToken};
use crate::oauth2::jwt_access_token;
use crate::oauth2::limits::MAX_ASSERTION_LEN;
use crate::storage::TokenKind;

/// A JWT's header or claims.
type JsonObject = Map<String, Value>;

/// Longest `iss`, `sub` and `kid` read from a token (what a trust relationship holds).
const MAX_ID_LEN: usize = 255;

/// What a presented token says, once verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Presented {
    /// `iss`: this server's issuer, or the trusted issuer's.
    pub issuer: String,
    pub subject: String,
    /// The scope the token carries: the ceiling of the exchanged token's scope.
    pub scope: Vec<String>,
    /// The token family of an access token of this server.
    pub family_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// RFC 8693 §4.1: the actors the token already names.
    pub act: Option<Value>,
    /// RFC 8693 §4.4: who may act for the subject.
    pub may_act: Option<Value>,
    /// The ID token context of an access token's session (`auth_time`, `acr`, …).
    pub id_token: Option<Value>,
    /// RFC 9396: the authorization details an access token of this server was granted,
    /// the ceiling of the exchanged token's. Other tokens carry none: details a user
    /// did not consent to at this server are never taken from a foreign JWT's claims.
    pub authorization_details: Vec<Value>,
}

/// Resolves one presented token; `parameter` (`subject_token` or `actor_token`) names
/// it in errors.
pub struct Resolver<'a> {
    pub ctx: &'a OAuth2Context,
    pub client: &'a Client,
    pub policy: &'a TokenExchangePolicy,
    pub parameter: &'static str,
}

impl Resolver<'_> {
    fn invalid(&self, why: impl std::fmt::Display) -> OAuth2Error {
        OAuth2Error::invalid_request(format!("The {} {why}.", self.parameter))
    }

    pub async fn resolve(&self, token: &str, kind: TokenTypeUri) -> Result<Presented, OAuth2Error> {
        if token.len() > MAX_ASSERTION_LEN {
            return Err(self.invalid(format!("is longer than {MAX_ASSERTION_LEN} bytes")));
        }
        match kind {
            TokenTypeUri::AccessToken => self.access_token(token).await,
            TokenTypeUri::IdToken => self.id_token(token).await,
            TokenTypeUri::Jwt => self.jwt(token).await,
            TokenTypeUri::RefreshToken => Err(self.invalid("may not be a refresh token")),
        }
    }

    async fn access_token(&self, token: &str) -> Result<Presented, OAuth2Error> {
        let Some(ActiveToken { stored, session }) =
            introspect::find_active(self.ctx, token, None).await?
        else {
            return Err(self.invalid("is not an active access token of this server"));
        };
        if stored.kind != TokenKind::AccessToken {
            return Err(self.invalid("is not an active access token of this server"));
        }
        let client_id = &self.client.client_id;
        if &stored.client_id != client_id && !stored.granted_audience.contains(client_id) {
            return Err(self.invalid(
                "was neither issued to the OAuth 2.0 Client nor names it in its audience",
            ));
        }
        Ok(Presented {
            issuer: self.ctx.config.issuer(),
            subject: stored.subject,
            scope: stored.granted_scope,
            family_id: Some(stored.family_id),
            expires_at: Some(stored.expires_at),
            act: session.act,
            may_act: session.ext.get("may_act").cloned(),
            id_token: session.id_token,
            authorization_details: session.authorization_details,
        })
    }

    async fn id_token(&self, token: &str) -> Result<Presented, OAuth2Error> {
        let verified = self
            .ctx
            .key_manager
            .verify(ID_TOKEN_SET, token)
            .await
            .map_err(|e| self.invalid(format!("is not an ID token of this server: {e}")))?;
        let claims = verified.claims;
        let issuer = self.ctx.config.issuer();
        if string(&claims, "iss") != Some(issuer.as_str()) {
            return Err(self.invalid(format!("was not issued by {issuer}")));
        }
        let expires_at = self.unexpired(&claims)?;
        if !audience(&claims).any(|aud| aud == self.client.client_id) {
            return Err(self.invalid("is an ID token issued to another OAuth 2.0 Client"));
        }
        Ok(Presented {
            issuer,
            subject: self.identifier(&claims, "sub")?,
            scope: vec!["openid".to_owned()],
            family_id: None,
            expires_at: Some(expires_at),
            act: claims.get("act").cloned(),
            may_act: claims.get("may_act").cloned(),
            id_token: None,
            authorization_details: Vec::new(),
        })
    }

    /// A JWT of this server (access token, else ID token) or of a trusted issuer.
    async fn jwt(&self, token: &str) -> Result<Presented, OAuth2Error> {
        let (header, claims) = self.peek(token)?;
        let issuer = self.identifier(&claims, "iss")?;
        if issuer == self.ctx.config.issuer() {
            return if jwt_access_token::verify(self.ctx, token).await.is_some() {
                self.access_token(token).await
            } else {
                self.id_token(token).await
            };
        }
        if !self.policy.allowed_subject_token_issuers.contains(&issuer) {
            return Err(self.invalid(format!(
                "was issued by '{issuer}', which is not in the OAuth 2.0 Client's allowed_subject_token_issuers"
            )));
        }
        let subject = self.identifier(&claims, "sub")?;
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) if !kid.is_empty() && kid.len() <= MAX_ID_LEN => {
                Some(kid.as_str())
            }
            Some(_) => return Err(self.invalid("has a malformed 'kid' header")),
        };
        let now = self.ctx.clock.now();
        let candidates = self
            .ctx
            .trusts
            .trusted_keys(&issuer, &subject, kid, now)
            .await?;
        let Some((trust, verified)) = candidates.into_iter().find_map(|trust| {
            Verifier::from_keys(vec![trust.public_key.clone()])
                .verify(token)
                .ok()
                .map(|verified| (trust, verified.claims))
        }) else {
            return Err(self.invalid(format!(
                "does not verify with a key trusted for issuer '{issuer}' and subject '{subject}'"
            )));
        };
        let expires_at = self.unexpired(&verified)?;
        if let Some(nbf) = timestamp(&verified, "nbf")
            && nbf > now
        {
            return Err(self.invalid("is not valid yet (nbf)"));
        }
        // The token's own scope, if it names one, within the trust's.
        let scope = match string(&verified, "scope") {
            Some(own) => own
                .split(' ')
                .filter(|s| trust.scope.iter().any(|t| t == s))
                .map(str::to_owned)
                .collect(),
            None => trust.scope.clone(),
        };
        Ok(Presented {
            issuer,
            subject,
            scope,
            family_id: None,
            expires_at: Some(expires_at),
            act: verified.get("act").cloned(),
            may_act: verified.get("may_act").cloned(),
            id_token: None,
            authorization_details: Vec::new(),
        })
    }

    /// The header and claims of a compact JWS, not verified (to find the key).
    fn peek(&self, token: &str) -> Result<(JsonObject, JsonObject), OAuth2Error> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(self.invalid("is not a compact JWS (three dot-separated parts)"));
        };
        let decode = |segment: &str| -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
            serde_json::from_slice(&bytes).ok()
        };
        match (decode(header), decode(payload)) {
            (Some(header), Some(claims)) => Ok((header, claims)),
            _ => Err(self.invalid("is not a JWT: a part is not base64url JSON")),
        }
    }

    fn identifier(&self, claims: &Map<String, Value>, name: &str) -> Result<String, OAuth2Error> {
        match string(claims, name) {
            Some(value) if !value.is_empty() && value.len() <= MAX_ID_LEN => Ok(value.to_owned()),
            _ => Err(self.invalid(format!(
                "has no claim '{name}' of 1 to {MAX_ID_LEN} characters"
            ))),
        }
    }

    /// `exp`, required and in the future by the server's clock.
    fn unexpired(&self, claims: &Map<String, Value>) -> Result<DateTime<Utc>, OAuth2Error> {
        let expires_at =
            timestamp(claims, "exp").ok_or_else(|| self.invalid("has no numeric 'exp' claim"))?;
        if expires_at <= self.ctx.clock.now() {
            return Err(self.invalid("has expired"));
        }
        Ok(expires_at)
    }
}

fn string<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// A NumericDate claim (RFC 7519 §2) in the range chrono represents.
fn timestamp(claims: &Map<String, Value>, name: &str) -> Option<DateTime<Utc>> {
    claims
        .get(name)
        .and_then(Value::as_i64)
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
}

/// `aud`: one string or an array of strings (RFC 7519 §4.1.3).
fn audience(claims: &Map<String, Value>) -> impl Iterator<Item = &str> {
    let values: Vec<&str> = match claims.get("aud") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    values.into_iter()
}

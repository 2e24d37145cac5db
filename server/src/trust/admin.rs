//! The admin operations on trust relationships, independent of HTTP (Hydra's
//! `trustOAuth2JwtGrantIssuer`, `getTrustedOAuth2JwtGrantIssuer`,
//! `listTrustedOAuth2JwtGrantIssuers`, `deleteTrustedOAuth2JwtGrantIssuer`).

use chrono::{DateTime, SubsecRound, Utc};

use super::model::TrustRelationship;
use super::store::{TrustListQuery, TrustStore};
use super::wire::TrustOAuth2JwtGrantIssuer;
use crate::clock::Clock;
use crate::error::OAuth2Error;
use crate::jwk::key::{self, MAX_ID_LEN};
use crate::jwk::{JwkError, KeyUse};
use crate::pagination;

/// Scope values a relationship may list at most.
pub const MAX_SCOPES: usize = 100;
/// Longest issuer, subject or scope value: the database columns are `VARCHAR(255)`.
pub const MAX_VALUE_LEN: usize = MAX_ID_LEN;

const PAGE_TOKEN_KIND: &str = "trust1";

/// One page of relationships and the token of the next page, if there is one.
#[derive(Debug)]
pub struct TrustPage {
    pub trusts: Vec<TrustRelationship>,
    pub page_size: usize,
    pub next_page_token: Option<String>,
}

/// Filters and position of a list request as the caller sent them.
#[derive(Debug, Default, Clone)]
pub struct ListRequest {
    pub page_size: Option<i64>,
    pub page_token: Option<String>,
    pub issuer: Option<String>,
}

fn invalid(field: &str, why: impl std::fmt::Display) -> OAuth2Error {
    OAuth2Error::invalid_request(format!("Field {field} is invalid: {why}."))
}

fn not_found(id: &str) -> OAuth2Error {
    OAuth2Error::not_found(format!(
        "No trust relationship for a JWT grant issuer with id {id:?} exists."
    ))
}

/// A string of 1 to [`MAX_VALUE_LEN`] characters without control characters.
fn check_text(field: &str, value: &str) -> Result<(), OAuth2Error> {
    if value.is_empty() || value.chars().count() > MAX_VALUE_LEN {
        return Err(invalid(
            field,
            format!("it must have 1 to {MAX_VALUE_LEN} characters"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "it must not contain control characters"));
    }
    Ok(())
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn check_scope(scope: &[String]) -> Result<(), OAuth2Error> {
    if scope.len() > MAX_SCOPES {
        return Err(invalid(
            "scope",
            format!("at most {MAX_SCOPES} values are allowed"),
        ));
    }
    for (i, value) in scope.iter().enumerate() {
        let token_char =
            |b: u8| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b);
        if value.is_empty() || value.len() > MAX_VALUE_LEN || !value.bytes().all(token_char) {
            return Err(invalid(
                &format!("scope[{i}]"),
                "a scope value is 1 to 255 printable ASCII characters without space, '\"' or '\\' (RFC 6749 §3.3)",
            ));
        }
    }
    Ok(())
}

/// The issuer's key: a public signing key with `kid`, `alg` and `use` (Hydra's
/// `jsonWebKey` schema), usable for its algorithm. Private or symmetric keys are refused:
/// the server must never hold the issuer's signing secret.
fn check_key(
    body_key: crate::jwk::JsonWebKey,
) -> Result<(crate::jwk::JsonWebKey, String), OAuth2Error> {
    if key::is_private(&body_key) {
        return Err(invalid(
            "jwk",
            "it must be a public key; remove the private members (d, p, q, dp, dq, qi, k)",
        ));
    }
    let valid = key::validate("jwk.", body_key)?;
    if valid.alg.is_symmetric() {
        return Err(invalid(
            "jwk.alg",
            "a symmetric (HMAC) key cannot be trusted; use an asymmetric algorithm such as RS256 or ES256",
        ));
    }
    if valid.use_ != KeyUse::Sig {
        return Err(invalid(
            "jwk.use",
            "the key must be a signing key (use: sig)",
        ));
    }
    let public = key::public_part(&valid.key)
        .ok_or_else(|| OAuth2Error::from(JwkError::invalid("jwk", "it has no public part")))?;
    Ok((public, valid.kid))
}

/// The latest `expires_at` accepted: every backend stores years up to 9999.
fn latest_expiry() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("9999-12-31T23:59:59Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Validates a new relationship and stores it (`409 conflict` when the issuer already
/// trusts this key for this subject).
pub async fn create(
    store: &dyn TrustStore,
    clock: &dyn Clock,
    body: TrustOAuth2JwtGrantIssuer,
) -> Result<TrustRelationship, OAuth2Error> {
    let now = clock.now().trunc_subsecs(6);
    check_text("issuer", &body.issuer)?;
    let allow_any_subject = body.allow_any_subject.unwrap_or(false);
    let subject = body.subject.unwrap_or_default();
    match (subject.is_empty(), allow_any_subject) {
        (true, false) => {
            return Err(OAuth2Error::invalid_request(
                "One of the fields subject or allow_any_subject must be set.",
            ));
        }
        (false, true) => {
            return Err(OAuth2Error::invalid_request(
                "The fields subject and allow_any_subject cannot both be set.",
            ));
        }
        (false, false) => check_text("subject", &subject)?,
        (true, true) => {}
    }
    check_scope(&body.scope)?;
    if body.expires_at <= now {
        return Err(invalid("expires_at", "it must lie in the future"));
    }
    if body.expires_at > latest_expiry() {
        return Err(invalid("expires_at", "it must lie before the year 10000"));
    }
    let (public_key, kid) = check_key(body.jwk)?;
    let trust = TrustRelationship {
        id: uuid::Uuid::new_v4().to_string(),
        issuer: body.issuer,
        subject,
        allow_any_subject,
        scope: body.scope,
        public_key,
        kid,
        created_at: now,
        expires_at: body.expires_at.trunc_subsecs(6),
    };
    store.create_trust(&trust).await.map_err(|e| match e {
        crate::error::StorageError::Conflict(_) => {
            OAuth2Error::new(crate::error::ErrorKind::Conflict).with_hint(format!(
                "The issuer {:?} already trusts a key with kid {:?} for this subject.",
                trust.issuer, trust.kid
            ))
        }
        other => other.into(),
    })?;
    Ok(trust)
}

/// The relationship with this id, or `404`.
pub async fn get(store: &dyn TrustStore, id: &str) -> Result<TrustRelationship, OAuth2Error> {
    store.get_trust(id).await?.ok_or_else(|| not_found(id))
}

/// Deletes the relationship, or `404`.
pub async fn delete(store: &dyn TrustStore, id: &str) -> Result<(), OAuth2Error> {
    if store.delete_trust(id).await? {
        Ok(())
    } else {
        Err(not_found(id))
    }
}

/// One page of relationships, by id (Hydra's `page_size` and `page_token`).
pub async fn list(store: &dyn TrustStore, request: ListRequest) -> Result<TrustPage, OAuth2Error> {
    let page_size = pagination::page_size(request.page_size);
    let after = pagination::decode_token(PAGE_TOKEN_KIND, request.page_token.as_deref())?;
    let mut trusts = store
        .list_trusts(&TrustListQuery {
            after,
            limit: page_size + 1,
            issuer: request.issuer.filter(|s| !s.is_empty()),
        })
        .await?;
    let next_page_token =
        pagination::split_page(&mut trusts, page_size, PAGE_TOKEN_KIND, |t| &t.id);
    Ok(TrustPage {
        trusts,
        page_size,
        next_page_token,
    })
}

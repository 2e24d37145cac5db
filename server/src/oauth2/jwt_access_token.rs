//! JWT access tokens (RFC 9068), issued instead of opaque ones when
//! `strategies.access_token` is `jwt` or the client's `access_token_strategy` says so.
//!
//! Header `typ: at+jwt` (§2.1), signed with the `hydra.jwt.access-token` set (ES256 by
//! default). Claims (§2.2): `iss`, `sub`, `aud`, `exp`, `iat`, `nbf`, `jti`,
//! `client_id`, `scope` (space-separated, §2.2.3) and, as Hydra writes them, `scp` (the
//! same scopes as a list) and `ext` (the consent's `session.access_token` claims).
//! `aud` is required by §2.2: it is the granted audience, or the client id when nothing
//! was granted (a token always names at least the party it was issued to).
//!
//! Each JWT is still stored as a row, so introspection and revocation treat it like an
//! opaque token: a JWT is active only while its signature verifies against our keys
//! *and* its row is active. The row's key leads with the first 8 bytes of the `jti`, a
//! UUIDv7 (time-ordered, so inserts append to the index as with opaque tokens), then
//! the first 24 bytes of the SHA-256 of the signature; JWTs issued with a random `jti`
//! before keep their key, the full SHA-256 of the signature.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::OAuth2Error;
use crate::jwk::ACCESS_TOKEN_SET;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::Grant;
use crate::oauth2::token_format::{ID_LEN, VerifiedToken, full_hash_key, time_ordered_key};
use crate::storage::{StoredToken, TokenKind};

/// The `typ` header of RFC 9068 §2.1.
pub const TYP: &str = "at+jwt";

/// The storage key of a compact JWS whose `jti` claim is `jti` (see the module doc);
/// `None` when the value is not three base64url parts.
pub fn storage_key(jwt: &str, jti: Option<&str>) -> Option<String> {
    let mut parts = jwt.split('.');
    let (Some(_), Some(_), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    if signature.is_empty() {
        return None;
    }
    let digest = Sha256::digest(&signature);
    let time_ordered_id = jti
        .and_then(|jti| uuid::Uuid::parse_str(jti).ok())
        .filter(|jti| jti.get_version() == Some(uuid::Version::SortRand))
        .and_then(|jti| jti.as_bytes().first_chunk::<ID_LEN>().copied());
    Some(match time_ordered_id {
        Some(id) => time_ordered_key(&id, &digest),
        None => full_hash_key(&digest),
    })
}

/// The RFC 9068 §2.2 claims of the access token of `grant`.
pub fn claims(issuer: &str, grant: &Grant, lifespan: Duration) -> Result<Value, OAuth2Error> {
    let issued_at = grant.issued_at.timestamp();
    let expires_at = grant
        .issued_at
        .checked_add_signed(lifespan)
        .ok_or_else(|| OAuth2Error::server_error("token lifespan out of range"))?
        .timestamp();
    let audience = if grant.audience.is_empty() {
        vec![grant.client_id.clone()]
    } else {
        grant.audience.clone()
    };
    let mut claims = json!({
        "iss": issuer,
        "sub": grant.session.client_subject(&grant.subject),
        "aud": audience,
        "exp": expires_at,
        "iat": issued_at,
        "nbf": issued_at,
        "jti": uuid::Uuid::now_v7().to_string(),
        "client_id": grant.client_id,
        "scope": grant.scope.join(" "),
        "scp": grant.scope,
    });
    if !grant.session.ext.is_empty()
        && let Some(map) = claims.as_object_mut()
    {
        map.insert("ext".to_owned(), Value::Object(grant.session.ext.clone()));
    }
    // RFC 8693 §4.1: a delegated token names its actors.
    if let Some(act) = &grant.session.act
        && let Some(map) = claims.as_object_mut()
    {
        map.insert("act".to_owned(), act.clone());
    }
    // RFC 9396 §9.1: the token carries its authorization details.
    if !grant.session.authorization_details.is_empty()
        && let Some(map) = claims.as_object_mut()
    {
        map.insert(
            "authorization_details".to_owned(),
            Value::Array(grant.session.authorization_details.clone()),
        );
    }
    // RFC 9449 §6.1: a DPoP-bound token names its key's thumbprint.
    if let Some(jkt) = &grant.session.dpop_jkt
        && let Some(map) = claims.as_object_mut()
    {
        map.insert("cnf".to_owned(), json!({ "jkt": jkt }));
    }
    Ok(claims)
}

/// Signs the access token of `grant` and makes its row.
pub async fn mint(
    ctx: &OAuth2Context,
    grant: &Grant,
    lifespan: Duration,
) -> Result<(String, StoredToken), OAuth2Error> {
    let claims = claims(&ctx.config.issuer(), grant, lifespan)?;
    let jti = claims["jti"].as_str().map(str::to_owned);
    let signed = ctx
        .key_manager
        .sign_with(ACCESS_TOKEN_SET, claims, TYP, None)
        .await?;
    let hash = storage_key(&signed.token, jti.as_deref())
        .ok_or_else(|| OAuth2Error::server_error("the signed access token is not a JWS"))?;
    let row = grant.row(&ctx.keys, TokenKind::AccessToken, &hash, lifespan, None)?;
    Ok((signed.token, row))
}

/// A presented JWT whose signature verifies against the access-token set: its row's
/// kind and key. `None` for anything else (claims are judged from the row).
pub async fn verify(ctx: &OAuth2Context, token: &str) -> Option<VerifiedToken> {
    let verified = ctx.key_manager.verify(ACCESS_TOKEN_SET, token).await.ok()?;
    let hash = storage_key(token, verified.claims.get("jti").and_then(Value::as_str))?;
    (verified.typ.as_deref() == Some(TYP)).then_some(VerifiedToken {
        kind: TokenKind::AccessToken,
        signature_hash: hash,
    })
}

/// A token presented to introspection or revocation: an opaque token whose MAC
/// verifies, or one of our JWT access tokens.
pub async fn identify(ctx: &OAuth2Context, token: &str) -> Option<VerifiedToken> {
    match crate::oauth2::token_format::verify(&ctx.keys, token) {
        Some(verified) => Some(verified),
        None => verify(ctx, token).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth2::session::TokenSession;
    use chrono::{TimeZone, Utc};

    #[test]
    fn claims_follow_rfc_9068_and_hydra() {
        let now = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let mut session = TokenSession::default();
        session.ext.insert("team".into(), json!("blue"));
        let grant = Grant::new(
            "svc",
            "ada",
            vec!["read".into(), "write".into()],
            Vec::new(),
            session,
            now,
        );
        let claims = claims("https://issuer.test/", &grant, Duration::minutes(10)).unwrap();
        assert_eq!(claims["aud"], json!(["svc"]), "the client when no audience");
        assert_eq!(claims["exp"], now.timestamp() + 600);
        assert_eq!(claims["scope"], "read write");
        assert_eq!(claims["scp"], json!(["read", "write"]));
        assert_eq!(claims["ext"], json!({"team": "blue"}));
        assert_eq!(claims["client_id"], "svc");
    }

    #[test]
    fn storage_key_needs_a_compact_jws() {
        assert_eq!(storage_key("a.b.AA", None).map(|h| h.len()), Some(64));
        assert_eq!(storage_key("a.b.", None), None);
        assert_eq!(storage_key("a.b", None), None);
        assert_eq!(storage_key("a.b.c.d", None), None);
        assert_eq!(storage_key("a.b.!!", None), None);
    }

    #[test]
    fn storage_key_leads_with_a_v7_jti_and_keeps_the_old_key_otherwise() {
        let v7 = "019a9f3c-5b2e-7abc-8def-0123456789ab";
        let key = storage_key("a.b.AA", Some(v7)).unwrap();
        assert_eq!(key.len(), 64);
        assert!(key.starts_with("019a9f3c5b2e7abc"), "{key}");
        let old = storage_key("a.b.AA", None).unwrap();
        assert_eq!(key[16..], old[..48], "the same signature digest follows");
        let v4 = "2f1c7a3e-9b1d-4c6e-8f00-0123456789ab";
        assert_eq!(storage_key("a.b.AA", Some(v4)).unwrap(), old);
        assert_eq!(storage_key("a.b.AA", Some("not-a-uuid")).unwrap(), old);
    }
}

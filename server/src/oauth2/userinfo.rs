//! The UserInfo endpoint's logic (OIDC Core §5.3; RFC 6750 for the token).
//!
//! The token must be an active access token (the introspection rules of
//! `oauth2::introspect`, so opaque and JWT access tokens alike) whose grant includes
//! `openid` (§5.3.1: "obtained through an OpenID Connect Authentication Request"). The
//! answer is `sub` plus the consent's `session.id_token` claims within the granted
//! scopes (`scope_claims::filter`, §5.4). A client that registered
//! `userinfo_signed_response_alg` gets a JWT signed with the ID-token key set, carrying
//! `iss` and `aud` (§5.3.2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::OAuth2Error;
use crate::jwk::{Algorithm, ID_TOKEN_SET};
use crate::oauth2::bearer::{Scheme, insufficient_scope, invalid_token};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::introspect::{ActiveToken, find_active};
use crate::oauth2::request_context::RequestContext;
use crate::oauth2::session::TokenSession;
use crate::oidc::id_token::IdTokenContext;
use crate::oidc::scope_claims;
use crate::storage::{StoredToken, TokenKind};

/// OIDC Core §5.1 standard claims (Hydra's `oidcUserInfo`); other claims granted by the
/// consent app appear beside them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = oidcUserInfo)]
pub struct OidcUserInfo {
    /// Subject: the End-User's identifier at the issuer.
    pub sub: Option<String>,
    /// Full name in displayable form.
    pub name: Option<String>,
    /// Given name(s) or first name(s).
    pub given_name: Option<String>,
    /// Surname(s) or last name(s).
    pub family_name: Option<String>,
    /// Middle name(s).
    pub middle_name: Option<String>,
    /// Casual name.
    pub nickname: Option<String>,
    /// Shorthand name the End-User wishes to be referred to by.
    pub preferred_username: Option<String>,
    /// URL of the End-User's profile page.
    pub profile: Option<String>,
    /// URL of the End-User's profile picture.
    pub picture: Option<String>,
    /// URL of the End-User's web page or blog.
    pub website: Option<String>,
    /// Preferred e-mail address (RFC 5322 addr-spec).
    pub email: Option<String>,
    /// Whether the e-mail address was verified.
    pub email_verified: Option<bool>,
    /// Gender: `female`, `male` or another value.
    pub gender: Option<String>,
    /// Birthday, ISO 8601 `YYYY-MM-DD` (or `YYYY`).
    pub birthdate: Option<String>,
    /// Time zone from the zoneinfo database, e.g. `Europe/Paris`.
    pub zoneinfo: Option<String>,
    /// Locale as a BCP 47 language tag, e.g. `en-US`.
    pub locale: Option<String>,
    /// Preferred telephone number, E.164 recommended.
    pub phone_number: Option<String>,
    /// Whether the phone number was verified.
    pub phone_number_verified: Option<bool>,
    /// OIDC Core §5.1.1 address (a JSON object).
    #[schema(value_type = Option<Object>)]
    pub address: Option<Value>,
    /// When the End-User's information was last updated, seconds since the Unix epoch.
    pub updated_at: Option<i64>,
}

/// What the endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub enum UserInfo {
    /// `application/json`.
    Json(Map<String, Value>),
    /// `application/jwt` (§5.3.2).
    Jwt(String),
}

/// The `session.id_token` claims stored with the token's grant.
pub(crate) fn consent_claims(session: TokenSession) -> Result<Map<String, Value>, OAuth2Error> {
    let context: IdTokenContext = match session.id_token {
        Some(value) => serde_json::from_value(value)
            .map_err(|e| OAuth2Error::server_error(format!("stored ID token context: {e}")))?,
        None => IdTokenContext::default(),
    };
    Ok(context.claims)
}

/// OIDC Core §5.3.2 for the access token `token`, presented with `scheme` in the
/// request `http`. With the `DPoP` scheme every error carries a `DPoP` challenge
/// (RFC 9449 §7.1).
pub async fn userinfo(
    ctx: &OAuth2Context,
    http: &RequestContext,
    token: &str,
    scheme: Scheme,
) -> Result<UserInfo, OAuth2Error> {
    let answer = claims_for(ctx, http, token, scheme).await;
    match scheme {
        Scheme::Bearer => answer,
        Scheme::DPoP => answer.map_err(|err| ctx.dpop.for_resource(err)),
    }
}

/// RFC 9449 §7: a DPoP-bound token is accepted only with the `DPoP` scheme and a proof
/// by its key over it (`ath`); an unbound token only as `Bearer`.
async fn check_binding(
    ctx: &OAuth2Context,
    http: &RequestContext,
    token: &str,
    scheme: Scheme,
    bound: Option<&str>,
) -> Result<(), OAuth2Error> {
    match (scheme, bound) {
        (Scheme::Bearer, None) => Ok(()),
        (Scheme::Bearer, Some(_)) => Err(ctx.dpop.for_resource(invalid_token(
            "The access token is DPoP-bound: present it with the DPoP authorization scheme and a DPoP proof (RFC 9449 Section 7.1).",
        ))),
        (Scheme::DPoP, None) => Err(invalid_token(
            "The access token is not DPoP-bound: present it with the Bearer authorization scheme.",
        )),
        (Scheme::DPoP, Some(jkt)) => {
            let proof = ctx.dpop.at_resource(http, token).await?;
            if proof.jkt == jkt {
                Ok(())
            } else {
                Err(invalid_token(
                    "The DPoP proof's key is not the key the access token is bound to (RFC 9449 Section 7.1).",
                ))
            }
        }
    }
}

/// The active access token `token` presented at a resource endpoint of this server
/// (userinfo, credentials) with `scheme`: found, its client recorded as the one the
/// request acts for (CORS, `http/cors`), its DPoP binding checked, and an access token.
pub(crate) async fn presented_access_token(
    ctx: &OAuth2Context,
    http: &RequestContext,
    token: &str,
    scheme: Scheme,
) -> Result<ActiveToken, OAuth2Error> {
    let Some(active) = find_active(ctx, token, None).await? else {
        return Err(invalid_token(
            "The access token is not active: it is unknown, expired or revoked.",
        ));
    };
    http.record_client(&active.stored.client_id);
    check_binding(ctx, http, token, scheme, active.session.dpop_jkt.as_deref()).await?;
    if active.stored.kind != TokenKind::AccessToken {
        return Err(invalid_token("Only access tokens are accepted here."));
    }
    Ok(active)
}

/// The non-empty scopes granted to `stored`.
pub(crate) fn granted_scopes(stored: &StoredToken) -> Vec<&str> {
    stored
        .granted_scope
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect()
}

async fn claims_for(
    ctx: &OAuth2Context,
    http: &RequestContext,
    token: &str,
    scheme: Scheme,
) -> Result<UserInfo, OAuth2Error> {
    // One lookup serves both the activity check and the consent claims.
    let ActiveToken { stored, session } = presented_access_token(ctx, http, token, scheme).await?;
    let granted = granted_scopes(&stored);
    if !granted.contains(&"openid") {
        return Err(insufficient_scope(
            "The access token was not granted the scope 'openid' (OIDC Core §5.3).",
        ));
    }
    // OIDC Core §8.1: a pairwise client sees its pairwise `sub` here too.
    let subject = session
        .obfuscated_subject
        .clone()
        .unwrap_or_else(|| stored.subject.clone());
    let client_id = stored.client_id.clone();
    let mut claims = scope_claims::filter(&consent_claims(session)?, &granted);
    claims.insert("sub".to_owned(), Value::String(subject));

    let client = ctx
        .clients
        .get_client(&client_id)
        .await?
        .ok_or_else(|| invalid_token("The access token's client no longer exists."))?;
    let registered = client.userinfo_signed_response_alg.as_str();
    if registered.is_empty() || registered == "none" {
        return Ok(UserInfo::Json(claims));
    }
    let alg = Algorithm::parse(registered).ok_or_else(|| {
        OAuth2Error::server_error(format!("unknown userinfo_signed_response_alg {registered}"))
    })?;
    if crate::oauth2::fapi2::covers(&ctx.config, &client) {
        crate::oauth2::fapi2::userinfo_alg(alg)?;
    }
    claims.insert("iss".to_owned(), Value::String(ctx.config.issuer()));
    claims.insert(
        "aud".to_owned(),
        Value::Array(vec![Value::String(client_id)]),
    );
    claims.insert("iat".to_owned(), Value::from(ctx.clock.now().timestamp()));
    claims.insert(
        "jti".to_owned(),
        Value::String(uuid::Uuid::new_v4().to_string()),
    );
    let signed = ctx
        .key_manager
        .sign_with(ID_TOKEN_SET, Value::Object(claims), "JWT", Some(alg))
        .await
        .map_err(|e| {
            OAuth2Error::server_error(e.to_string()).with_hint(format!(
                "The userinfo response cannot be signed with {alg}, the OAuth 2.0 Client's userinfo_signed_response_alg: the ID token key set has no usable {alg} key."
            ))
        })?;
    Ok(UserInfo::Jwt(signed.token))
}

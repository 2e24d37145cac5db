//! RFC 6749 §4.1.3: the authorization code grant, with PKCE (RFC 7636 §4.6) and, when
//! `openid` was granted, an ID token (OIDC Core §3.1.3.3).
//!
//! The code must be one of ours (MAC), stored, issued to the authenticated client, not
//! expired, and unused; `redirect_uri` must repeat the authorization request's; the
//! PKCE verifier must answer the stored challenge. The code is consumed and its tokens
//! stored in one transaction (`TokenStore::redeem`), so of concurrent exchanges exactly
//! one succeeds, and a code presented again revokes everything it issued (§4.1.2).
//!
//! Issued, all in the code's family: an access token (client's
//! `authorization_code_grant_access_token_lifespan` or `ttl.access_token`); a refresh
//! token when `offline` or `offline_access` was granted and the client may use the
//! `refresh_token` grant (`…_refresh_token_lifespan` or `ttl.refresh_token`); an ID
//! token when `openid` was granted (`…_id_token_lifespan` or `ttl.id_token`).

use async_trait::async_trait;
use chrono::Duration;

use super::{GrantHandler, TokenRequest, keep_granted_audience, presented};
use crate::client::model::{Client, GrantType};
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::authorize::code::CodeRequestData;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::{self, Grant, Plan, RefreshPlan, TokenResponse};
use crate::oauth2::pkce;
use crate::oauth2::session::{self, TokenSession};
use crate::oauth2::token_type::TokenType;
use crate::oauth2::{authorization_details, resource};
use crate::oidc::id_token::IdTokenContext;
use crate::oidc::id_token::IdTokenPlan;
use crate::storage::TokenKind;

/// `grant_type=authorization_code`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthorizationCode;

fn invalid_grant(hint: &str) -> OAuth2Error {
    OAuth2Error::new(ErrorKind::InvalidGrant).with_hint(hint)
}

/// RFC 6749 §4.1.3: `redirect_uri` is "REQUIRED, if the "redirect_uri" parameter was
/// included in the authorization request …, and their values MUST be identical". One
/// sent although the authorization request had none must still be the one used.
fn check_redirect_uri(data: &CodeRequestData, given: Option<&str>) -> Result<(), OAuth2Error> {
    match given {
        None if data.redirect_uri_given => Err(invalid_grant(
            "The redirect_uri parameter is required: the authorization request included one.",
        )),
        Some(uri) if uri != data.redirect_uri => Err(invalid_grant(
            "The redirect_uri from this request does not match the one from the authorization request.",
        )),
        _ => Ok(()),
    }
}

/// RFC 7636 §4.6: the verifier must transform to the stored challenge. A verifier sent
/// for a code issued without a challenge is refused too (RFC 9700 §2.1.1: it shows a
/// PKCE downgrade attempt).
fn check_pkce(data: &CodeRequestData, verifier: Option<&str>) -> Result<(), OAuth2Error> {
    match (&data.code_challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(invalid_grant(
            "A code_verifier was sent, but the authorization request had no code_challenge.",
        )),
        (Some(_), None) => Err(invalid_grant(
            "The code_verifier is missing: the authorization request had a code_challenge (RFC 7636 §4.5).",
        )),
        (Some(challenge), Some(verifier)) => {
            let method = data
                .code_challenge_method
                .unwrap_or(pkce::PkceMethod::Plain);
            if pkce::verify(method, challenge, verifier) {
                Ok(())
            } else {
                Err(invalid_grant(
                    "The code_verifier does not match the code_challenge of the authorization request.",
                ))
            }
        }
    }
}

/// The ID token context stored with the code, if the flow recorded one.
/// RFC 9449 §10: a code whose authorization request carried `dpop_jkt` is redeemed
/// only with a proof by that key.
fn check_dpop_jkt(data: &CodeRequestData, token_type: &TokenType) -> Result<(), OAuth2Error> {
    match (&data.dpop_jkt, token_type.jkt()) {
        (None, _) => Ok(()),
        (Some(_), None) => Err(invalid_grant(
            "The authorization request bound the code to a DPoP key (dpop_jkt): the token request needs a DPoP proof by that key.",
        )),
        (Some(bound), Some(jkt)) if bound == jkt => Ok(()),
        (Some(_), Some(_)) => Err(invalid_grant(
            "The DPoP proof's key does not match the dpop_jkt of the authorization request (RFC 9449 Section 10).",
        )),
    }
}

fn id_token_context(session: &TokenSession) -> Result<IdTokenContext, OAuth2Error> {
    match &session.id_token {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| OAuth2Error::server_error(format!("stored ID token context: {e}"))),
        None => Ok(IdTokenContext::default()),
    }
}

/// What to issue for `client` given the granted `scope`.
fn plan(
    ctx: &OAuth2Context,
    client: &Client,
    scope: &[String],
    session: &TokenSession,
    token_type: TokenType,
) -> Result<Plan, OAuth2Error> {
    let ttl = &ctx.config.ttl;
    let lifespans = &client.lifespans;
    let pick = |own: Option<crate::duration::GoDuration>, default| -> Duration {
        own.unwrap_or(default).as_chrono()
    };
    let granted = |name: &str| scope.iter().any(|s| s == name);
    let offline = granted("offline") || granted("offline_access");
    let refresh = (offline && client.has_grant(GrantType::RefreshToken)).then(|| {
        RefreshPlan::new(
            pick(
                lifespans.authorization_code_grant_refresh_token_lifespan,
                ttl.refresh_token,
            ),
            scope.to_vec(),
            client,
            &token_type,
        )
    });
    let id_token = if granted("openid") {
        Some(IdTokenPlan::for_client(
            client,
            id_token_context(session)?,
            true,
            pick(
                lifespans.authorization_code_grant_id_token_lifespan,
                ttl.id_token,
            ),
        )?)
    } else {
        None
    };
    Ok(Plan {
        grant_type: GrantType::AuthorizationCode,
        access_format: issue::access_format(ctx, client),
        access_lifespan: pick(
            lifespans.authorization_code_grant_access_token_lifespan,
            ttl.access_token,
        ),
        refresh,
        id_token,
        token_type,
    })
}

#[async_trait]
impl GrantHandler for AuthorizationCode {
    fn grant_type(&self) -> GrantType {
        GrantType::AuthorizationCode
    }

    /// RFC 6749 §4.1.3: public clients send `client_id`; PKCE protects their codes.
    fn allows_public_clients(&self) -> bool {
        true
    }

    async fn handle(
        &self,
        ctx: &OAuth2Context,
        client: &Client,
        request: TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuth2Error> {
        let form = request.form;
        let code = form.require("code")?;
        let redirect_uri = form.get("redirect_uri")?;
        let verifier = form.get("code_verifier")?;
        let stored = presented::load(ctx, client, TokenKind::AuthorizationCode, code).await?;
        if !stored.active {
            return Err(presented::reused(ctx, &stored).await);
        }
        let hash = &stored.signature_hash;
        let sealed = stored
            .request_data
            .as_deref()
            .ok_or_else(|| OAuth2Error::server_error("the code has no request data"))?;
        let data: CodeRequestData = session::open(&ctx.keys, hash, sealed)?;
        check_redirect_uri(&data, redirect_uri)?;
        check_pkce(&data, verifier)?;
        check_dpop_jkt(&data, &request.token_type)?;

        let mut session: TokenSession = session::open(&ctx.keys, hash, &stored.session)?;
        // RFC 9396 §6.1: the access token may carry fewer details than were granted;
        // the refresh token keeps them all.
        let granted_details = session.authorization_details.clone();
        session.authorization_details = authorization_details::narrowed(form, &granted_details)?;
        let plan = plan(
            ctx,
            client,
            &stored.granted_scope,
            &session,
            request.token_type,
        )?;
        let now = ctx.clock.now();
        let grant = Grant {
            family_id: stored.family_id.clone(),
            client_id: client.client_id.clone(),
            subject: stored.subject.clone(),
            scope: stored.granted_scope.clone(),
            audience: resource::narrowed(form, &stored.granted_audience)?,
            session,
            issued_at: now,
        };
        let mut issuance = issue::prepare(ctx, &grant, &plan).await?;
        keep_granted_audience(&mut issuance.rows, &stored.granted_audience);
        authorization_details::keep_granted(&ctx.keys, &mut issuance.rows, &granted_details)?;
        let redeemed = ctx
            .tokens
            .redeem_reporting(
                TokenKind::AuthorizationCode,
                hash,
                now,
                Duration::zero(),
                None,
                &issuance.rows,
                &issuance.events,
            )
            .await?;
        if !redeemed {
            return Err(presented::reused(ctx, &stored).await);
        }
        Ok(issuance.response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth2::pkce::PkceMethod;

    fn data(given: bool, challenge: Option<&str>) -> CodeRequestData {
        CodeRequestData {
            redirect_uri: "https://client.test/cb".into(),
            redirect_uri_given: given,
            code_challenge: challenge.map(str::to_owned),
            code_challenge_method: challenge.map(|_| PkceMethod::S256),
            requested_at: chrono::DateTime::UNIX_EPOCH,
            dpop_jkt: None,
        }
    }

    #[test]
    fn redirect_uri_must_repeat_the_authorization_requests() {
        let uri = "https://client.test/cb";
        assert!(check_redirect_uri(&data(true, None), Some(uri)).is_ok());
        assert!(check_redirect_uri(&data(true, None), None).is_err());
        assert!(check_redirect_uri(&data(true, None), Some("https://client.test/cb/")).is_err());
        assert!(check_redirect_uri(&data(false, None), None).is_ok());
        assert!(check_redirect_uri(&data(false, None), Some(uri)).is_ok());
        assert!(check_redirect_uri(&data(false, None), Some("https://evil.test/")).is_err());
    }

    #[test]
    fn pkce_rfc7636_appendix_b() {
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let with = data(true, Some(challenge));
        assert!(check_pkce(&with, Some(verifier)).is_ok());
        assert!(check_pkce(&with, None).is_err());
        assert!(check_pkce(&with, Some(&verifier.replace('k', "j"))).is_err());
        assert!(check_pkce(&data(true, None), Some(verifier)).is_err());
        assert!(check_pkce(&data(true, None), None).is_ok());
    }
}

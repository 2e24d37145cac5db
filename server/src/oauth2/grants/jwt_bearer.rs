//! RFC 7523 §2.1: the JWT bearer authorization grant
//! (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`). A client presents an
//! `assertion`: a JWT signed by an issuer the admin trusts (`trust`, Hydra's trust API).
//! The token's subject is the assertion's `sub`.
//!
//! The steps, each failing with `invalid_grant` (RFC 7521 §4.1.1) unless noted:
//! 1. decode the JWT without verifying it, to learn `iss`, `sub`, `kid`, `alg`;
//! 2. look up the unexpired trust relationships of (`iss`, `sub` or any subject, `kid`);
//! 3. verify the signature with their keys (the key's `alg` must be the header's);
//! 4. check the claims (`assertion::check`: `aud`, `exp` within
//!    `oauth2.grant.jwt.max_ttl`, `nbf`, `iat`, `jti`);
//! 5. the requested scope must be within the relationship's and the client's
//!    (`invalid_scope`), the requested audience within the client's (`invalid_request`);
//! 6. record the `jti` until `exp`, keyed by issuer, on the shared store: a replay, on
//!    any node, fails;
//! 7. issue an access token (no refresh token: the client presents a new assertion).
//!
//! Client authentication is as for every grant; public clients may use the grant, as
//! RFC 7521 §4.1 makes client authentication optional for assertion grants and Hydra
//! allows it, but only clients registered for the grant type.

mod assertion;
#[cfg(test)]
mod fuzz;

use async_trait::async_trait;

use super::{GrantHandler, TokenRequest};
use crate::client::model::{Client, GrantType};
use crate::error::{ErrorKind, OAuth2Error};
use crate::jwk::Verifier;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::{self, Grant, Plan, TokenResponse};
use crate::oauth2::scope;
use crate::oauth2::session::TokenSession;
use crate::trust::TrustRelationship;

use assertion::{Rules, Unverified, invalid};

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`.
#[derive(Debug, Clone, Copy, Default)]
pub struct JwtBearer;

/// The namespace an issuer's `jti`s are recorded under in the `JtiStore`, apart from
/// client assertion `jti`s (recorded under the client id): RFC 7519 §4.1.7 makes a
/// `jti` unique per issuer. Hashed, so that it fits the store's 255-character column
/// whatever the issuer's length.
fn jti_namespace(issuer: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(issuer.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("jwt-bearer-grant:{hex}")
}

/// The relationship whose key verifies `token`, with the verified claims.
fn verify(
    token: &str,
    header: &Unverified,
    candidates: Vec<TrustRelationship>,
) -> Result<
    (
        TrustRelationship,
        serde_json::Map<String, serde_json::Value>,
    ),
    OAuth2Error,
> {
    for trust in candidates {
        let verifier = Verifier::from_keys(vec![trust.public_key.clone()]);
        if let Ok(verified) = verifier.verify(token) {
            return Ok((trust, verified.claims));
        }
    }
    Err(invalid(format!(
        "The assertion's signature does not verify with a key trusted for issuer '{}' and subject '{}' (alg {}).",
        header.issuer, header.subject, header.alg
    )))
}

/// The requested scope must also lie within the trust relationship's `scope`, as
/// Hydra limits a trusted issuer's grants.
fn check_trusted_scope(
    ctx: &OAuth2Context,
    trust: &TrustRelationship,
    requested: &[String],
) -> Result<(), OAuth2Error> {
    let strategy = ctx.config.strategies.scope;
    let trusted: Vec<&str> = trust.scope.iter().map(String::as_str).collect();
    if let Some(refused) = scope::first_not_allowed(strategy, &trusted, requested) {
        return Err(OAuth2Error::new(ErrorKind::InvalidScope).with_hint(format!(
            "The key trusted for issuer '{}' and subject '{}' may not be used to request scope '{refused}'.",
            trust.issuer, trust.subject
        )));
    }
    Ok(())
}

#[async_trait]
impl GrantHandler for JwtBearer {
    fn grant_type(&self) -> GrantType {
        GrantType::JwtBearer
    }

    /// RFC 7521 §4.1: "client authentication is optional" for assertion grants.
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
        let token = form.require("assertion")?;
        let header = Unverified::parse(token)?;
        let now = ctx.clock.now();
        let candidates = ctx
            .trusts
            .trusted_keys(&header.issuer, &header.subject, header.kid.as_deref(), now)
            .await?;
        if candidates.is_empty() {
            return Err(invalid(format!(
                "No unexpired key is trusted for issuer '{}', subject '{}' and kid '{}'.",
                header.issuer,
                header.subject,
                header.kid.as_deref().unwrap_or("")
            )));
        }
        let (trust, claims) = verify(token, &header, candidates)?;
        let settings = &ctx.config.oauth2.grant.jwt;
        let audiences = [
            format!("{}/oauth2/token", ctx.config.public_url()),
            ctx.config.issuer(),
        ];
        let checked = assertion::check(
            &claims,
            &Rules {
                audiences: &audiences,
                max_ttl: settings.max_ttl.as_chrono(),
                iat_optional: settings.iat_optional,
                jti_optional: settings.jti_optional,
            },
            now,
        )?;
        let requested = scope::requested_by_client(
            ctx.config.strategies.scope,
            &client.scope,
            form.get("scope")?,
        )?;
        check_trusted_scope(ctx, &trust, &requested)?;
        let mut audience = scope::audience_of_client(&client.audience, &form.all("audience")?)?;
        if !settings.omit_assertion_audience {
            for aud in checked.audience {
                if !audience.contains(&aud) {
                    audience.push(aud);
                }
            }
        }
        if let Some(jti) = &checked.jti {
            let fresh = ctx
                .jtis
                .record_jti(jti, &jti_namespace(&trust.issuer), checked.expires_at, now)
                .await?;
            if !fresh {
                return Err(invalid(
                    "The assertion's jti has been used before; an assertion may be used once (RFC 7523 §3).",
                ));
            }
        }
        let lifespan = client
            .lifespans
            .jwt_bearer_grant_access_token_lifespan
            .unwrap_or(ctx.config.ttl.access_token)
            .as_chrono();
        let grant = Grant::new(
            &client.client_id,
            &header.subject,
            requested,
            audience,
            TokenSession::default(),
            now,
        );
        let plan = Plan {
            grant_type: GrantType::JwtBearer,
            access_format: issue::access_format(ctx, client),
            access_lifespan: lifespan,
            refresh: None,
            id_token: None,
            token_type: request.token_type,
        };
        issue::issue_plan(ctx, &grant, &plan).await
    }
}

//! The token endpoint's grants (RFC 6749 §4, §6): a [`GrantRegistry`] maps each
//! `grant_type` to one [`GrantHandler`], one file per grant. Adding a grant is adding a
//! file and registering it in [`GrantRegistry::standard`].
//!
//! [`GrantRegistry::exchange`] runs the steps every grant shares: parse
//! `grant_type` (missing → `invalid_request`, unknown or not served →
//! `unsupported_grant_type`), authenticate the client (RFC 6749 §2.3), refuse public
//! clients where the grant needs a confidential one and clients not registered for the
//! grant (`unauthorized_client`), then hand over to the grant's handler.

mod authorization_code;
mod client_credentials;
mod device_code;
mod jwt_bearer;
mod password;
mod presented;
mod refresh_token;
#[cfg(test)]
mod tests;
mod token_exchange;

pub use authorization_code::AuthorizationCode;
pub use client_credentials::ClientCredentials;
pub use device_code::DeviceCode;
pub use jwt_bearer::JwtBearer;
pub use password::Password;
pub use refresh_token::RefreshToken;
pub use token_exchange::{TokenExchange, TokenTypeUri};

use async_trait::async_trait;
use tracing::Instrument;

use crate::client::model::{Client, GrantType};
use crate::error::{ErrorKind, OAuth2Error};
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::fapi2;
use crate::oauth2::form::FormParams;
use crate::oauth2::issue::TokenResponse;
use crate::oauth2::request_context::RequestContext;
use crate::oauth2::token_type::TokenType;

/// RFC 8707 §2.2: a token request may narrow the access token's audience to one
/// granted resource; the refresh token issued beside it keeps the whole grant.
fn keep_granted_audience(rows: &mut [crate::storage::StoredToken], granted: &[String]) {
    for row in rows
        .iter_mut()
        .filter(|row| row.kind == crate::storage::TokenKind::RefreshToken)
    {
        row.granted_audience = granted.to_vec();
    }
}

/// The scope and audience a client asks for on its own behalf at the token endpoint,
/// with no consent step (client credentials, password): every requested scope one the
/// client may request (`strategies.scope`, `invalid_scope`), every `audience` and RFC
/// 8707 §2 `resource` one of the client's `audience` list.
fn self_requested(
    ctx: &OAuth2Context,
    client: &Client,
    form: &FormParams,
) -> Result<(Vec<String>, Vec<String>), OAuth2Error> {
    let scope = crate::oauth2::scope::requested_by_client(
        ctx.config.strategies.scope,
        &client.scope,
        form.get("scope")?,
    )?;
    let mut audience =
        crate::oauth2::scope::audience_of_client(&client.audience, &form.all("audience")?)?;
    let resources = crate::oauth2::resource::parse(&form.all("resource")?)?;
    crate::oauth2::resource::check_allowed(&resources, &client.audience)?;
    for uri in resources {
        if !audience.contains(&uri) {
            audience.push(uri);
        }
    }
    Ok((scope, audience))
}

/// A token request as a grant sees it: the HTTP request's context (method, URL, the
/// headers the protocol reads, the client's address), the form, and the type of the
/// access token to issue, decided once by [`GrantRegistry::exchange`].
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    pub http: &'a RequestContext,
    pub form: &'a FormParams,
    pub token_type: TokenType,
}

/// One grant type's handling of a token request whose client is authenticated and
/// registered for the grant.
#[async_trait]
pub trait GrantHandler: Send + Sync {
    /// The `grant_type` this handler serves.
    fn grant_type(&self) -> GrantType;

    /// Whether public clients (`token_endpoint_auth_method: none`) may use the grant.
    fn allows_public_clients(&self) -> bool;

    /// Validates the grant's own parameters and issues tokens.
    async fn handle(
        &self,
        ctx: &OAuth2Context,
        client: &Client,
        request: TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuth2Error>;
}

/// The grants the token endpoint serves.
#[derive(Default)]
pub struct GrantRegistry {
    handlers: Vec<Box<dyn GrantHandler>>,
}

impl std::fmt::Debug for GrantRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.handlers.iter().map(|h| h.grant_type().as_str()))
            .finish()
    }
}

impl GrantRegistry {
    /// Every grant this server implements.
    pub fn standard() -> Self {
        Self::default()
            .with(AuthorizationCode)
            .with(RefreshToken)
            .with(ClientCredentials)
            .with(JwtBearer)
            .with(DeviceCode)
            .with(TokenExchange)
    }

    /// The standard grants plus those `config` switches on (the password grant, whose
    /// failure budgets live in `shared` when given).
    pub fn for_config(
        config: &crate::config::Config,
        shared: Option<&crate::redis_client::SharedCounters>,
    ) -> Result<Self, reqwest::Error> {
        let registry = Self::standard();
        Ok(
            match Password::from_config(&config.oauth2.grant.password, shared)? {
                Some(password) => registry.with(password),
                None => registry,
            },
        )
    }

    /// Adds (or replaces) the handler of its grant type.
    pub fn with(mut self, handler: impl GrantHandler + 'static) -> Self {
        self.handlers
            .retain(|h| h.grant_type() != handler.grant_type());
        self.handlers.push(Box::new(handler));
        self
    }

    /// The grant types served, in registration order (for discovery metadata).
    pub fn grant_types(&self) -> Vec<GrantType> {
        self.handlers.iter().map(|h| h.grant_type()).collect()
    }

    fn handler(&self, grant: GrantType) -> Option<&dyn GrantHandler> {
        self.handlers
            .iter()
            .find(|h| h.grant_type() == grant)
            .map(|h| h.as_ref())
    }

    /// The token endpoint (RFC 6749 §3.2): one token request, from the HTTP request's
    /// context and the form body, to its response.
    pub async fn exchange(
        &self,
        ctx: &OAuth2Context,
        http: &RequestContext,
        form: &FormParams,
    ) -> Result<TokenResponse, OAuth2Error> {
        // Labels from bounded sets only: a registered grant type or `unknown`.
        let grant = form
            .get("grant_type")
            .ok()
            .flatten()
            .and_then(GrantType::parse)
            .filter(|grant| self.handler(*grant).is_some())
            .map_or("unknown", GrantType::as_str);
        let span = crate::telemetry::spans::grant(grant);
        let result = self
            .dispatch(ctx, http, form)
            .instrument(span.clone())
            .await;
        if let Err(err) = &result {
            crate::telemetry::spans::failed(&span, err.kind.code());
        }
        match &result {
            Ok(response) => {
                let token_type = if response.token_type.eq_ignore_ascii_case("dpop") {
                    "DPoP"
                } else {
                    "bearer"
                };
                crate::prometheus::token_issued(grant, token_type);
            }
            Err(err) => crate::prometheus::token_failed(grant, err.kind.code()),
        }
        result
    }

    async fn dispatch(
        &self,
        ctx: &OAuth2Context,
        http: &RequestContext,
        form: &FormParams,
    ) -> Result<TokenResponse, OAuth2Error> {
        let name = form.require("grant_type")?;
        let handler = GrantType::parse(name)
            .and_then(|grant| self.handler(grant))
            .ok_or_else(|| {
                OAuth2Error::new(ErrorKind::UnsupportedGrantType).with_hint(format!(
                    "The grant_type '{name}' is not supported by this server."
                ))
            })?;
        let grant = handler.grant_type();
        let client = ctx.client_auth.authenticate(http, form).await?;
        if client.is_public() && !handler.allows_public_clients() {
            return Err(
                OAuth2Error::new(ErrorKind::UnauthorizedClient).with_hint(format!(
                    "The OAuth 2.0 Client is public and may not use the grant_type '{}'.",
                    grant.as_str()
                )),
            );
        }
        if !client.has_grant(grant) {
            return Err(
                OAuth2Error::new(ErrorKind::UnauthorizedClient).with_hint(format!(
                    "The OAuth 2.0 Client is not allowed to use the grant_type '{}'.",
                    grant.as_str()
                )),
            );
        }
        // The one place the token type is decided: a valid DPoP proof binds the tokens
        // to its key (RFC 9449 §5); a client registered with dpop_bound_access_tokens
        // must send one (§5.2).
        let proof = ctx.dpop.at_token_endpoint(http).await?;
        if fapi2::covers(&ctx.config, &client) {
            fapi2::token_request(proof.as_ref())?;
        }
        let token_type = match proof {
            Some(proof) => TokenType::DPoP { jkt: proof.jkt },
            None if client.dpop_bound_access_tokens => {
                return Err(crate::oauth2::dpop::proof::invalid(
                    "The OAuth 2.0 Client is registered with dpop_bound_access_tokens: token requests need a DPoP proof (RFC 9449 Section 5.2).",
                ));
            }
            None => TokenType::Bearer,
        };
        let request = TokenRequest {
            http,
            form,
            token_type,
        };
        handler.handle(ctx, &client, request).await
    }
}

//! RFC 6749 §4.4: the client credentials grant. A confidential client asks for tokens
//! for itself: the subject is the client, every requested scope must be one the client
//! may request (`strategies.scope`), every requested audience one of the client's
//! `audience`, and no refresh token is issued (§4.4.3: "A refresh token SHOULD NOT be
//! included"). Hydra grants exactly what was requested, so without `scope` the token
//! has no scope. The access token is opaque or an RFC 9068 JWT, as configured.

use async_trait::async_trait;

use super::{GrantHandler, TokenRequest};
use crate::client::model::{Client, GrantType};
use crate::error::OAuth2Error;
use crate::oauth2::context::OAuth2Context;
use crate::oauth2::issue::{self, Grant, Plan, TokenResponse};
use crate::oauth2::session::TokenSession;

/// `grant_type=client_credentials`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientCredentials;

#[async_trait]
impl GrantHandler for ClientCredentials {
    fn grant_type(&self) -> GrantType {
        GrantType::ClientCredentials
    }

    /// RFC 6749 §4.4: "MUST only be used by confidential clients".
    fn allows_public_clients(&self) -> bool {
        false
    }

    async fn handle(
        &self,
        ctx: &OAuth2Context,
        client: &Client,
        request: TokenRequest<'_>,
    ) -> Result<TokenResponse, OAuth2Error> {
        let form = request.form;
        // RFC 8707 §2: resources too come from the client's audience list.
        let (requested, audience) = super::self_requested(ctx, client, form)?;
        // RFC 9396 §6: a client credentials token request carries the details itself,
        // each of a type the client may use; no user consents to them.
        let session = TokenSession {
            authorization_details: crate::oauth2::authorization_details::from_form(
                form,
                &ctx.config,
                client,
            )?,
            ..TokenSession::default()
        };
        let lifespan = client
            .lifespans
            .client_credentials_grant_access_token_lifespan
            .unwrap_or(ctx.config.ttl.access_token)
            .as_chrono();
        let grant = Grant::new(
            &client.client_id,
            &client.client_id,
            requested,
            audience,
            session,
            ctx.clock.now(),
        );
        let plan = Plan {
            grant_type: GrantType::ClientCredentials,
            access_format: issue::access_format(ctx, client),
            access_lifespan: lifespan,
            refresh: None,
            id_token: None,
            token_type: request.token_type,
        };
        issue::issue_plan(ctx, &grant, &plan).await
    }
}
